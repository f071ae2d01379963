# PSPNet R50-D8 on ADE20K-150 at mmseg's setting (pspnet_r50-d8_4xb4-160k_ade20k-512x512.py: 16
# images per iteration, 512 crops, 160k iterations, SGD poly). Pretrained R50-V1c:
# backbone.init_cfg.
_base_ = [
    '../_base_/models/pspnet_r50-d8.py', '../_base_/datasets/ade20k_semantic.py',
    '../_base_/schedules/sgd_poly.py', '../_base_/default_runtime.py'
]
num_classes = _base_.num_things_classes + _base_.num_stuff_classes
max_iters = 160000
sync_bn = 'torch'  # BN -> SyncBatchNorm in multi-GPU runs (mmseg's SyncBN)

model = dict(decode_head=dict(num_classes=num_classes),
             auxiliary_head=dict(num_classes=num_classes))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
