# OneFormer trained on panoptic targets only (no task sampling; the task token is always
# "panoptic"): the single-task row of the OneFormer paper's App. Tab. IV, on the shapes demo.
# Everything else is oneformer_r18_1xb8-3k_shapes.py.
_base_ = ['../_base_/models/oneformer_r18-small.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
