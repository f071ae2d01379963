# adamw_poly.py at the COCO length of the large models, 100 epochs: SOLVER.MAX_ITER 737,500 at
# batch 16, step decay x0.1 at SOLVER.STEPS (OneFormer coco/swin/oneformer_swin_large_bs16_100ep
# .yaml); no warm-up, as adamw_step_50e.py.
_base_ = ['./adamw_poly.py']
max_iters = 737500
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
                        milestones=[655556, 735184], gamma=0.1)]
train_cfg = dict(max_iters=max_iters)
