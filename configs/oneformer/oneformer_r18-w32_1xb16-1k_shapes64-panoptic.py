# OneFormer trained on panoptic targets only (no task sampling; the task token is always
# "panoptic"): the single-task row of the OneFormer paper's App. Tab. IV, on the 64 x 64 shapes
# benchmark. Everything else is oneformer_r18-w32_1xb16-1k_shapes64.py.
_base_ = ['../_base_/models/oneformer_r18-small.py', '../_base_/datasets/shapes64.py',
          '../_base_/schedules/shapes64_1k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(base_channels=_base_.backbone_channels, init_cfg=_base_.pretrained_backbone),
    panoptic_head=dict(num_queries=_base_.segment_queries,
                       num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes,
                       criterion=dict(num_points=_base_.mask_points)),
    text_mapper=dict(num_ctx=_base_.text_context),
    test_cfg=dict(max_per_image=_base_.segment_queries))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
