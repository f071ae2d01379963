# OneFormer trained once, jointly on panoptic, instance and semantic targets (task sampled per
# image, as the dataset base sets), on the shapes demo; schedule as the Mask2Former shapes leaves.
_base_ = ['../_base_/models/oneformer_r18-small.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(
    panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                       num_stuff_classes=_base_.num_stuff_classes))
optim_wrapper = dict(clip_grad=None)  # the official train_net.py never clips (adamw_poly.py)
