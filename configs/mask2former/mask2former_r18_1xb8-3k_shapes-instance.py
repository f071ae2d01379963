# Mask2Former trained for instance segmentation only: classifies the thing classes alone (the
# official instance configs set NUM_CLASSES to the thing count), evaluated by mask AP.
_base_ = ['../_base_/models/mask2former_r18-small.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes, num_stuff_classes=0))
train_dataloader = dict(dataset=dict(tasks=('instance', )))
val_cfg = test_cfg = dict(tasks=['instance'])
