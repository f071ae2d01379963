# The shared backbone pre-training of the shapes suites, the papers' ImageNet stage in miniature:
# the universal models' half-width ResNet-18 (mmdet's, BN trainable) under a light FPN-style head
# (mmseg's FPNHead on the four stages; discarded afterwards), trained on dense 12-class segmentation
# of shapes images generated with another seed than the benchmark's splits (1, not 0), so no
# benchmark image is seen. `python tools/pretrain.py THIS` generates the images, trains once and
# caches the backbone under ~/.cache/unibench/pretrained/ keyed by this config; the suite models
# load it with init_cfg=dict(type='CachedPretrained', pretrain=THIS) and report its cost as a row of
# its own (a cost every model shares, paid once).
_base_ = ['../_base_/datasets/shapes64.py', '../_base_/default_runtime.py']
data_root = 'data/shapes64-pretrain/'
# tools/pretrain.py writes this split (tools/make_synthetic.py arguments) when it is missing.
pretrain_data = dict(out=data_root, train=4000, val=200, size=64, seed=1, preset='demo')
# 2400 iterations (19 passes over the images; 6.6 min at one thread): its held-out mIoU is 37.8 /
# 48.8 / 52.7 / 57.3 at 600 / 1200 / 1800 / 2400 (docs/cpu_budget.md), and Mask2Former-panoptic
# fine-tuned from the 1200- and the 2400-iteration backbones gives PQ 26.3 and 36.2.
max_iters = 2400
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    type='SemanticSegmentor',
    family='pretrain',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32,
                           pad_mask=True, mask_pad_value=0, pad_seg=True, seg_pad_value=255),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=_base_.backbone_channels,
                  num_stages=4, out_indices=(0, 1, 2, 3),
                  frozen_stages=-1, norm_cfg=norm_cfg, norm_eval=False, style='pytorch',
                  init_cfg=None),
    decode_head=dict(  # in_channels are read off the backbone
        type='mmseg.FPNHead', in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
        channels=64, dropout_ratio=0.1, num_classes=_base_.num_classes, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(
    batch_size=32,
    dataset=dict(data_root=data_root, tasks=('semantic', )))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='TaskEvaluator',
                     metrics=dict(semantic=dict(type='SemSegIoUMetric')))
test_evaluator = val_evaluator
val_cfg = dict(type='TaskValLoop', tasks=['semantic'])
test_cfg = dict(type='TaskTestLoop', tasks=['semantic'])
optim_wrapper = dict(type='AutocastOptimWrapper',  # bf16, as the suites' trainings
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05, fused=True),
                     paramwise_cfg=dict(norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0, power=0.9, begin=50, end=max_iters, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=600)  # its curve
default_hooks = dict(checkpoint=dict(interval=max_iters, max_keep_ckpts=1),
                     logger=dict(interval=50))
