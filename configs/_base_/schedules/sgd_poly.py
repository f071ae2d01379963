# The mmseg recipe of PSPNet / DANet / FastFCN (mmseg configs/_base_/schedules/schedule_80k.py):
# SGD lr 0.01, momentum 0.9, wd 5e-4, poly decay (power 0.9) to 1e-4, no gradient clipping, 80k
# iterations (Cityscapes; sgd_poly_160k.py is ADE20K's), trained on 4-8 GPUs with SyncBN.
max_iters = 80000
sync_bn = 'torch'  # every BN -> SyncBatchNorm in multi-GPU runs (mmengine; mmseg's SyncBN)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
param_scheduler = dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
                       by_epoch=False)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters // 10)
val_cfg = dict(type='TaskValLoop', tasks=['semantic'])
test_cfg = dict(type='TaskTestLoop', tasks=['semantic'])
