# Universal segmenters against the classic specialists, on the embedded shapes dataset (1000 train
# / 100 val images of 128 x 128), every model trained from scratch with the same budget, data,
# backbone (ResNet-18), evaluators and cost accounting:
#   python tools/benchmark.py all configs/benchmarks/specialists.py
#
# Universal: OneFormer (one model, trained jointly) and Mask2Former-panoptic. Specialists: PSPNet,
# DANet, FastFCN and Gated-SCNN (semantic), PANet (instance), and the "two specialised models"
# panoptic baseline, PSPNet + PANet combined by the heuristic of Kirillov et al. (Sec. 7). The
# combination trains nothing: its `compose` step takes the PSPNet and PANet runs of the same seed
# (their dumped configs and last checkpoints); its cost is the sum of theirs, 2 trained models.
#
# Budget: 300 iterations per trained model (2400 images, a tenth of the configs' 3k schedule, the
# poly decay shortened to end with it), the same for every model. Measured on 2 CPU cores: the
# whole suite (7 trainings, the combination, tests, speed runs) took 1 h 44 min, plus ~5 min of
# figures; steps of 1.1-3.7 s at batch 8 (FastFCN fastest, Gated-SCNN slowest). At this budget
# every model is early in learning its from-scratch features: the table ranks cost and early
# learning speed, not converged accuracy (README, "Specialists results").
suite_name = 'specialists'
work_root = 'work_dirs/benchmarks/specialists'
report_dir = 'reports/specialists'
seeds = [0]
max_iters = 300

# --cfg-options of every trained run (tools/train.py, tools/test.py and the speed run).
options = {
    'train_cfg.max_iters': max_iters,
    'train_cfg.val_interval': max_iters // 2,
    'param_scheduler.end': max_iters,
    'default_hooks.checkpoint.interval': max_iters,
    'default_hooks.logger.interval': 20,
}
speed = dict(num_images=10, warmup=3)  # ms/img per task at batch 1, after training
figures = dict(qualitative=dict(indices=[0, 1, 2], score_thr=0.5))
extra_columns = ['trained_models']  # the one table: PQ, AP, mIoU, params, FLOPs, device-h, models

runs = [
    # Universal models: one checkpoint answers every task.
    dict(name='oneformer_joint', label='OneFormer (joint)',
         config='configs/oneformer/oneformer_r18_1xb8-3k_shapes.py', eval_tasks='all'),
    dict(name='m2f_panoptic', label='M2F-Panoptic',
         config='configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py',
         eval_tasks='all'),
    # Semantic specialists (mIoU).
    dict(name='pspnet', label='PSPNet', config='configs/pspnet/pspnet_r18-d8_1xb8-3k_shapes.py',
         eval_tasks='semantic'),
    dict(name='danet', label='DANet', config='configs/danet/danet_r18-d8_1xb8-3k_shapes.py',
         eval_tasks='semantic'),
    dict(name='fastfcn', label='FastFCN',
         config='configs/fastfcn/fastfcn_r18-d32_jpu_psp_1xb8-3k_shapes.py',
         eval_tasks='semantic'),
    dict(name='gscnn', label='Gated-SCNN', config='configs/gscnn/gscnn_r18-d8_1xb8-3k_shapes.py',
         eval_tasks='semantic'),
    # Instance specialist (mask AP).
    dict(name='panet', label='PANet',
         config='configs/panet/panet_r18_fpn_1xb8-3k_shapes-instance.py', eval_tasks='instance'),
    # Two specialised models combined into panoptic: PQ from the combination, AP and mIoU from
    # its children. The suite-wide (training) options do not apply to it.
    dict(name='pspnet_panet', label='PSPNet + PANet (combined)',
         config='configs/specialist_panoptic/pspnet-panet_r18_shapes-panoptic.py',
         eval_tasks='all', depends=dict(pspnet='model.semantic', panet='model.instance')),
]
