# Mask2Former trained for panoptic segmentation only: one of the three "separate models".
_base_ = ['../_base_/models/mask2former_r18-small.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(panoptic_head=dict(num_things_classes=_base_.num_things_classes,
                                num_stuff_classes=_base_.num_stuff_classes))
train_dataloader = dict(dataset=dict(tasks=('panoptic', )))
