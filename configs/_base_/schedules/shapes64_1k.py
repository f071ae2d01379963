# The schedule of the query models on the 64 x 64 shapes benchmark (demo and shapes suites): the
# papers' fine-tuning recipe in miniature. Every model starts from the same pre-trained
# ResNet-18 (datasets/shapes64.py names it) with backbone lr x0.1 (adamw_poly.py), AdamW 1e-3
# (the papers' 1e-4 is for batch 16 of 1024^2 crops over 10^5 iterations) and poly decay.
_base_ = ['./adamw_poly.py']
max_iters = 1000
# bf16 autocast (unibench/engine/amp.py), the CPU's AMP: the papers train with AMP, and on an
# AVX512-BF16 CPU a step is 1.2x (Mask2Former, OneFormer) to 1.5x (the painter, the pre-trainings)
# faster than in fp32 (docs/cpu_budget.md, tenth session); the pixel decoder stays fp32.
optim_wrapper = dict(type='AutocastOptimWrapper',
                     optimizer=dict(lr=1e-3, fused=True))  # fused: the same AdamW, one kernel
param_scheduler = dict(end=max_iters)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
