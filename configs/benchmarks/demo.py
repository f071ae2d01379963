# The demo suite (`make demo`, `python tools/benchmark.py all configs/benchmarks/demo.py`): the
# OneFormer paper's "one joint model versus three separate models" comparison (App. Tab. IV) in
# miniature, on the embedded 64 x 64 shapes benchmark (2000 train / 200 val images, demo
# preset), every query model from the same cached pre-trained backbone and the painter from the
# same pre-training of its ViT (the suite's first step, each cost a row of its own), with the
# same data, batch and iterations.
#
# Budget, 2 CPU cores, from an empty cache (measured, docs/cpu_budget.md): the two pre-trainings,
# five query models and the painter, two trainings at a time with a core each (`jobs`: 1.4x the
# steps of one 2-thread training), each tested on every task it serves and then timed alone,
# and the figures.
suite_name = 'demo'
work_root = 'work_dirs/benchmarks/demo'
report_dir = 'reports/demo'
seeds = [0]
max_iters = 300
jobs = 2
# The two pre-trainings (the same dense segmentation of the same images, one for the query
# models' ResNet-18, one for the painter's ViT with the instance-centre offsets its location
# colouring needs), side by side before the trainings.
pretrain = [dict(config='configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py',
                 label='Backbone pre-training (shared)'),
            dict(name='pretrain_vit',
                 config='configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py',
                 label='Painter encoder pre-training')]

# --cfg-options of every run (tools/train.py, tools/test.py and the speed run): the same
# per-run schedule for every model. No validation during training: the test step scores the
# last checkpoint on the same 200 images (the validation at the end repeated it, ~20 s a run);
# the curves show the losses.
options = {
    'train_cfg.max_iters': max_iters,
    'train_cfg.val_interval': max_iters,
    'train_cfg.val_begin': max_iters + 1,
    'param_scheduler.end': max_iters,  # the poly decay reaches 0 at the end of the short run
    'default_hooks.checkpoint.interval': max_iters,
    'default_hooks.logger.interval': 25,
}
speed = dict(num_images=10, warmup=3)  # ms/img per task at batch 1, after training
figures = dict(qualitative=dict(indices=[0, 1, 2], score_thr=0.5))

m2f = 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-{}.py'
# The longest runs first (a OneFormer step costs 1.4x Mask2Former's), so that the two jobs end
# together.
runs = [
    dict(name='oneformer_joint', label='OneFormer (joint)',
         config='configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py', eval_tasks='all'),
    dict(name='oneformer_panoptic', label='OneFormer (panoptic only)',
         config='configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64-panoptic.py',
         eval_tasks='all'),
    dict(name='m2f_panoptic', label='M2F-Panoptic', config=m2f.format('panoptic'),
         eval_tasks='all'),  # a panoptic model also decodes instances and semantics
    dict(name='m2f_instance', label='M2F-Instance', config=m2f.format('instance'),
         eval_tasks='instance'),
    dict(name='m2f_semantic', label='M2F-Semantic', config=m2f.format('semantic'),
         eval_tasks='semantic'),
    # The third family: its ViT cannot take the ResNet's weights (it has its own pre-training),
    # its warm-up + cosine schedule is a list, so the run sets where each part ends.
    dict(name='painter', label='SegGPT-style painter',
         config='configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py', eval_tasks='all',
         options={'param_scheduler.0.end': max_iters // 5,
                  'param_scheduler.1.begin': max_iters // 5,
                  'param_scheduler.1.end': max_iters}),
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
