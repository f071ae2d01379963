# Mask2Former trained for instance segmentation only (things; one of the three "separate models")
# on the 64 x 64 shapes benchmark, from the shared pre-trained backbone.
_base_ = ['../_base_/models/mask2former_r18-small.py', '../_base_/datasets/shapes64.py',
          '../_base_/schedules/shapes64_1k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(base_channels=_base_.backbone_channels, init_cfg=_base_.pretrained_backbone),
    panoptic_head=dict(num_queries=_base_.segment_queries,
                       num_things_classes=_base_.num_things_classes, num_stuff_classes=0,
                       criterion=dict(num_points=_base_.mask_points)))
train_dataloader = dict(dataset=dict(tasks=('instance', )))
val_cfg = test_cfg = dict(tasks=['instance'])
