# The longer shapes suite (issue: "the same models, 3 seeds, <= 3 h on 2 CPU cores"): the demo's
# six runs on the same 64 x 64 benchmark and pre-trained backbones, three seeds each, 900
# iterations (3x the demo), validated every 300 so the curves have three points; the ablation
# table then gives mean +- std of the joint-vs-separate comparison. Measured on 2 cores (AVX-512)
# with jobs = 2 and the demo's pre-trainings cached: 59 min 53 s (plus the demo's ~14 min of
# pre-training from an empty cache). On a GPU it is minutes.
_base_ = ['./demo.py']
suite_name = 'shapes'
work_root = 'work_dirs/benchmarks/shapes'
report_dir = 'reports/shapes'
seeds = [0, 1, 2]
max_iters = 900
options = {
    **_base_.options,
    'train_cfg.max_iters': max_iters,
    'train_cfg.val_interval': max_iters // 3,
    'train_cfg.val_begin': 1,  # validated every 300 iterations, so the curves have points
    'param_scheduler.end': max_iters,
    'default_hooks.checkpoint.interval': max_iters,
}
# The painter's warm-up + cosine is a list of schedulers: its parts end at the new length.
runs = [dict(run, options={'param_scheduler.0.end': max_iters // 5,
                           'param_scheduler.1.begin': max_iters // 5,
                           'param_scheduler.1.end': max_iters})
        if run['name'] == 'painter' else run for run in _base_.runs]
