# OneFormer trained once, jointly on panoptic, instance and semantic targets (task sampled per
# image, as the dataset base sets), on the shapes demo; schedule as the Mask2Former shapes leaves.
_base_ = [
    '../_base_/models/oneformer_r18-small.py', '../_base_/datasets/shapes.py',
    '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py'
]
num_things = _base_.num_things_classes
num_stuff = _base_.num_stuff_classes

model = dict(
    panoptic_head=dict(num_things_classes=num_things, num_stuff_classes=num_stuff),
    text_mapper=dict(dataset_type=_base_.dataset_type))  # class names: the dataset's METAINFO
# The official train_net.py never clips: its nan_to_num loop exhausts the parameter
# iterator before clip_grad_norm_ (Mask2Former's does clip, at 0.01).
optim_wrapper = dict(clip_grad=None)
