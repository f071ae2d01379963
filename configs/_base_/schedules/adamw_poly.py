# Mask2Former / OneFormer optimisation (official configs, SOLVER.*): AdamW lr 1e-4, wd 0.05,
# backbone lr x0.1, no weight decay on norms and embeddings, full-model L2 grad clip 0.01,
# poly decay (power 0.9, as the ADE20K / Cityscapes schedules). Leaves set max_iters.
max_iters = 160000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        # SOLVER.WEIGHT_DECAY_EMBED = 0: no decay on the nn.Embedding weights of either model.
        custom_keys={'backbone': dict(lr_mult=0.1, decay_mult=1.0),
                     'query_embed': dict(decay_mult=0.0), 'query_feat': dict(decay_mult=0.0),
                     'level_embed': dict(decay_mult=0.0), 'level_encoding': dict(decay_mult=0.0),
                     'prompt_ctx': dict(decay_mult=0.0), 'token_embedding': dict(decay_mult=0.0)},
        norm_decay_mult=0.0, bias_decay_mult=1.0, flat_decay_mult=0.0))
param_scheduler = dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                       by_epoch=False)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='TaskValLoop')
test_cfg = dict(type='TaskTestLoop')
