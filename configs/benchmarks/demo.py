# The demo suite (`make demo`, `python tools/benchmark.py all configs/benchmarks/demo.py`): the
# OneFormer paper's "one joint model versus three separate models" comparison (App. Tab. IV) in
# miniature, on the embedded shapes dataset (1000 train / 100 val images of 128 x 128).
#
# Budget, 2 CPU cores: a training step at batch 8 takes ~0.5-0.6 s, so 200 iterations are ~2 min
# per model; with start-up, the FLOP count, two validations, the test pass and the speed runs
# (~1 min per model) and the figures (~1 min), the five runs take about 15 minutes. 200
# iterations (1600 images) is ~7% of the 3k-iteration schedule of the configs: the numbers show
# the pipeline and the relative cost, not converged accuracy.
suite_name = 'demo'
work_root = 'work_dirs/benchmarks/demo'
report_dir = 'reports/demo'
seeds = [0]
max_iters = 200

# --cfg-options of every run (tools/train.py, tools/test.py and the speed run): the same
# per-run schedule for every model, validation at the middle and the end (the curves).
options = {
    'train_cfg.max_iters': max_iters,
    'train_cfg.val_interval': max_iters // 2,
    'param_scheduler.end': max_iters,  # the poly decay reaches 0 at the end of the short run
    'default_hooks.checkpoint.interval': max_iters,
    'default_hooks.logger.interval': 10,
}
speed = dict(num_images=10, warmup=3)  # ms/img per task at batch 1, after training
figures = dict(qualitative=dict(indices=[0, 1, 2], score_thr=0.5))

m2f = 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-{}.py'
runs = [
    dict(name='oneformer_joint', label='OneFormer (joint)',
         config='configs/oneformer/oneformer_r18_1xb8-3k_shapes.py', eval_tasks='all'),
    dict(name='m2f_panoptic', label='M2F-Panoptic', config=m2f.format('panoptic'),
         eval_tasks='all'),  # a panoptic model also decodes instances and semantics
    dict(name='m2f_instance', label='M2F-Instance', config=m2f.format('instance'),
         eval_tasks='instance'),
    dict(name='m2f_semantic', label='M2F-Semantic', config=m2f.format('semantic'),
         eval_tasks='semantic'),
    dict(name='oneformer_panoptic', label='OneFormer (panoptic only)',
         config='configs/oneformer/oneformer_r18_1xb8-3k_shapes-panoptic.py', eval_tasks='all'),
]
# reports/demo/ablation.*: each protocol's PQ / AP / mIoU, with summed cost. For the separate
# models, each task is answered by the model trained for it.
ablation = dict(
    joint=dict(label='OneFormer, joint: 1 model', runs=['oneformer_joint']),
    separate=dict(label='Mask2Former, separate: 3 models',
                  runs=dict(panoptic='m2f_panoptic', instance='m2f_instance',
                            semantic='m2f_semantic')),
    single=dict(label='OneFormer, panoptic only: 1 model', runs=['oneformer_panoptic']),
)
