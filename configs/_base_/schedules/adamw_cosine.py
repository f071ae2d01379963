# The painter's optimisation (SegGPT §4.1; Painter's main_train.py param groups): AdamW lr 1e-4,
# wd 0.05, betas (0.9, 0.999), linear warm-up over the first fifth (the paper's 1.8k of 9k) then
# cosine decay to 0, Painter's gradient clip 3.0 (SegGPT states none), no weight decay on norms,
# biases and the position table. 2k iterations (the shapes painter); seggpt_vit-l's leaf sets the
# paper's length.
max_iters = 2000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=3.0, norm_type=2),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=max_iters // 5),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=max_iters // 5, end=max_iters,
         eta_min=0.0),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='TaskValLoop')
test_cfg = dict(type='TaskTestLoop')
