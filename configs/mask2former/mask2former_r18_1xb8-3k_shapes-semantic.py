# Mask2Former trained for semantic segmentation only: every class is "stuff" (one mask per class
# present, things merged), evaluated by mIoU.
_base_ = ['../_base_/models/mask2former_r18-small.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=0, num_stuff_classes=_base_.num_classes))
train_dataloader = dict(dataset=dict(tasks=('semantic', )))
val_cfg = test_cfg = dict(tasks=['semantic'])
