# DANet on the shapes demo, the semantic specialist next to M2F-Semantic: the same data (the
# semantic task's targets), ResNet-18 from scratch with trainable BN (the universal demo models'
# backbone: plain stem, here with stages 3-4 dilated to output stride 8 as DANet uses), the same
# schedule and the same IoU evaluator. Widths scaled to ResNet-18 (512 channels at stage 4).
_base_ = ['../_base_/models/danet_r50-d8.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(type='mmseg.ResNet', depth=18),
    decode_head=dict(channels=128, pam_channels=16, num_classes=_base_.num_classes),
    auxiliary_head=dict(channels=64, num_classes=_base_.num_classes))
train_dataloader = dict(dataset=dict(tasks=('semantic', )))
val_cfg = test_cfg = dict(tasks=['semantic'])
