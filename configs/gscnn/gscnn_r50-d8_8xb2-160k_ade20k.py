# Gated-SCNN R50-D8 on ADE20K-150 with the budget of the mmseg specialists next to it (16 images
# per iteration, 512 crops, 160k iterations, SGD poly); the release trains on Cityscapes only.
_base_ = [
    '../_base_/models/gscnn_r50-d8.py', '../_base_/datasets/ade20k_semantic.py',
    '../_base_/schedules/sgd_poly.py', '../_base_/default_runtime.py'
]
num_classes = _base_.num_things_classes + _base_.num_stuff_classes
max_iters = 160000
sync_bn = 'torch'  # BN -> SyncBatchNorm in multi-GPU runs (mmseg's SyncBN)

model = dict(num_classes=num_classes)
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
