# Runtime shared by every unibench config (mmengine Runner).
default_scope = 'unibench'  # unibench modules first, then mmdet's, then mmengine's

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # Validation metrics logged at their iteration (the curves), not at epoch 0.
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Written to a temporary name, then renamed: a checkpoint file is always complete.
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=2,
                    save_last=True, backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    dict(type='RunRecordHook'),  # <work_dir>/record.json: cost, size, results
    dict(type='CheckpointStateHook'),  # checkpoints torch's weights_only loader reads (--resume)
    dict(type='ExactResumeHook'),  # random states in checkpoints: a resumed run is the same run
    dict(type='DataFitHook'),  # the model's class counts against each loader's dataset
]
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo on machines without CUDA
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
