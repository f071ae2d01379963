# FastFCN (JPU + PSP head) on the shapes demo, next to PSPNet / DANet / Gated-SCNN and
# M2F-Semantic: the same data (the semantic task's targets), ResNet-18 from scratch with trainable
# BN (the universal demo models' backbone, plain stem, strided to output stride 32 as mmseg's
# FastFCN), the same schedule and evaluator. Widths scaled to ResNet-18 (a quarter of ResNet-50's).
_base_ = ['../_base_/models/fastfcn_r50-d32_jpu_psp.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(type='mmseg.ResNet', depth=18),
    neck=dict(in_channels=(128, 256, 512), mid_channels=128),  # ResNet-18 stages 2-4
    decode_head=dict(channels=128, num_classes=_base_.num_classes),
    auxiliary_head=dict(channels=64, num_classes=_base_.num_classes))
train_dataloader = dict(dataset=dict(tasks=('semantic', )))
val_cfg = test_cfg = dict(tasks=['semantic'])
