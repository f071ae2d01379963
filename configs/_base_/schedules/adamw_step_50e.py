# adamw_poly.py at the COCO length, 50 epochs: SOLVER.MAX_ITER 368,750 at batch 16, step decay
# x0.1 at SOLVER.STEPS (Mask2Former / OneFormer coco/*_bs16_50ep.yaml). Their WARMUP_ITERS 10
# with WARMUP_FACTOR 1.0 is no warm-up at all.
_base_ = ['./adamw_poly.py']
max_iters = 368750
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
                        milestones=[327778, 355092], gamma=0.1)]
train_cfg = dict(max_iters=max_iters)
