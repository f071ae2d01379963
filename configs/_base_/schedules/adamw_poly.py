# Mask2Former / OneFormer optimisation (official configs, SOLVER.*, and train_net.py's
# build_optimizer): AdamW lr 1e-4, wd 0.05, backbone lr x0.1, no weight decay on any norm layer
# (backbone included) nor on nn.Embedding weights, full-model L2 grad clip 0.01, poly decay (power
# 0.9), at the ADE20K length (SOLVER.MAX_ITER 160k; adamw_poly_90k.py and adamw_step_*.py are the
# other datasets'). OneFormer's leaves switch the clip off: the official OneFormer train_net.py
# never clips (its nan_to_num loop exhausts the parameter iterator before clip_grad_norm_).
max_iters = 160000
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='OfficialParamGroupsConstructor',  # unibench/engine/optim.py
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(backbone_multiplier=0.1,  # SOLVER.BACKBONE_MULTIPLIER
                       weight_decay_norm=0.0,  # SOLVER.WEIGHT_DECAY_NORM
                       weight_decay_embed=0.0))  # SOLVER.WEIGHT_DECAY_EMBED
param_scheduler = dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                       by_epoch=False)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=5000)  # TEST.EVAL_PERIOD
val_cfg = dict(type='TaskValLoop')
test_cfg = dict(type='TaskTestLoop')
