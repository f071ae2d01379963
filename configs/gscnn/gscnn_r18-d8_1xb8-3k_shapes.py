# Gated-SCNN on the shapes demo, next to PSPNet / DANet / FastFCN and M2F-Semantic: the same data
# (the semantic task's targets), ResNet-18 from scratch with trainable BN (the universal demo
# models' backbone, plain stem, dilated to output stride 8), the same schedule and evaluator.
_base_ = ['../_base_/models/gscnn_r50-d8.py', '../_base_/datasets/shapes.py',
          '../_base_/schedules/shapes_3k.py', '../_base_/default_runtime.py']
model = dict(
    backbone=dict(type='mmseg.ResNet', depth=18),
    num_classes=_base_.num_classes,
    # ASPP width scaled to ResNet-18, and rates to the 16 x 16 stride-8 map of a 128 crop (the
    # release's 12 / 24 / 36 span 0.13-0.4 of its 90 x 90 map at 720 crops).
    head=dict(channels=128, dilations=(2, 4, 6)))
train_dataloader = dict(dataset=dict(tasks=('semantic', )))
val_cfg = test_cfg = dict(tasks=['semantic'])
