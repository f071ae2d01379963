# OneFormer trained once, jointly on panoptic, instance and semantic targets (task sampled per
# image, as the dataset base sets), on the 64 x 64 shapes benchmark from the shared pre-trained
# backbone; data, schedule and sizes as the Mask2Former shapes64 leaves.
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
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
