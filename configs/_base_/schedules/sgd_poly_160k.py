# sgd_poly.py at the ADE20K length (mmseg configs/_base_/schedules/schedule_160k.py): 160k
# iterations, validated every tenth.
_base_ = ['./sgd_poly.py']
max_iters = 160000
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 10)
