# The CPU schedule of the shapes demo models: 3k iterations, poly decay. The models train from
# scratch (no pretrained weights here), so lr is 1e-3 and the backbone gets the full lr (the
# paper's 1e-4 with backbone x0.1 fine-tunes ImageNet backbones).
_base_ = ['./adamw_poly.py']
max_iters = 3000
optim_wrapper = dict(optimizer=dict(lr=1e-3), paramwise_cfg=dict(backbone_multiplier=1.0))
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
