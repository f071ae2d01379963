# adamw_poly.py at the Cityscapes length: SOLVER.MAX_ITER 90k (Mask2Former / OneFormer
# Base-Cityscapes-*.yaml), poly decay to its end.
_base_ = ['./adamw_poly.py']
max_iters = 90000
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters)
