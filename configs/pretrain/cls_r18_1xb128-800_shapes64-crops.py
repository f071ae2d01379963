# Classification pre-training of the shapes suites' backbone, the papers' ImageNet stage in
# miniature: the universal models' ResNet-18 (mmdet's, BN trainable) classifies object-centric
# crops (every thing's box x1.4, every stuff segment's largest inner square; 32 x 32) of shapes
# images generated with another seed than the benchmark's splits (1, not 0). The classifier is
# discarded; `python tools/pretrain.py THIS` caches the backbone (unibench/engine/pretrained.py).
_base_ = ['../_base_/default_runtime.py']
data_root = 'data/shapes64-pretrain/'
# tools/pretrain.py writes this split (tools/make_synthetic.py arguments) when it is missing.
pretrain_data = dict(out=data_root, train=4000, val=200, size=64, seed=1, preset='demo')
classes = ('circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon', 'stripes',
           'checker', 'dots', 'noise', 'ripples')  # ShapesPanopticDataset's order, things first
max_iters = 800

model = dict(
    type='CropClassifier',
    num_classes=len(classes),
    data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375]),
    backbone=dict(type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                  norm_eval=False, style='pytorch', init_cfg=None))
# 32 px crops: a thing's box x1.4 at 32 px shows it at 23 px, the scale of the benchmark's things
# (the demo preset draws them 23-38 px wide at 64 x 64).
crops = dict(type='PanopticCropDataset', data_root=data_root, classes=classes, size=32)
train_dataloader = dict(batch_size=128, num_workers=1, persistent_workers=True,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(crops, split='train', augment=True))
val_dataloader = dict(batch_size=128, num_workers=1, persistent_workers=True,
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(crops, split='val'))
test_dataloader = val_dataloader
val_evaluator = dict(type='TopOneAccuracy')
test_evaluator = val_evaluator
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05, fused=True),
                     paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', eta_min=0, begin=100, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
                     logger=dict(interval=100))
