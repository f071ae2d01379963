"""Fixed run records (no training) for the collect / table / figure tests, and the options
that make a shapes config a seconds-long run."""
import json
from pathlib import Path
from typing import Dict, Optional

import pytest

ALL = ['panoptic', 'instance', 'semantic']


def write_record(work_dir: Path, *, name: str, label: str, seed: int, index: int,
                 config: str, family: str, trained: list, metrics: Dict[str, Dict[str, float]],
                 hours: float, iters: int = 100, params: int = 14_000_000,
                 speed: Optional[Dict[str, float]] = None) -> Path:
    """A record as RunRecordHook + tools/test.py + benchmark speed leave it."""
    work_dir.mkdir(parents=True, exist_ok=True)
    record = dict(
        suite=dict(suite='fixed', run=f'{name}-seed{seed}', name=name, label=label, seed=seed,
                   index=index, config=f'configs/{config}.py', eval_tasks=['all']),
        identity=dict(config=config, family=family, model=family.title(), backbone='ResNet-18',
                      dataset=dict(type='ShapesPanopticDataset', data_root='data/shapes/'),
                      tasks_trained=trained, seed=seed, num_processes=1,
                      git=dict(commit='abc123', dirty=False),
                      device=dict(type='cpu', name='Test CPU', cpu_threads=2)),
        train=dict(status='finished', iterations=iters, batch_size=8, images_seen=8 * iters,
                   wall_clock_s=hours * 3600, devices=1, device_hours=hours,
                   train_img_per_s=10.0 + seed, data_time_share=0.02,
                   peak_memory=dict(bytes=2 * 2**30, kind='cpu_peak_rss')),
        size=dict(params_train=params + 1000, params_inference=params,
                  flops=dict(flops=1_500_000_000, input_shape=[1, 3, 128, 128]),
                  checkpoint=dict(path=str(work_dir / 'iter_100.pth'), bytes=170_000_000)),
        evaluations={'test:' + '+'.join(metrics): dict(
            mode='test', tasks=list(metrics), evaluated_at='2026-01-01T00:00:00+00:00',
            results={t: dict(task_token=t, metrics=m) for t, m in metrics.items()})},
        speed={t: dict(ms_per_img=ms) for t, ms in (speed or {}).items()})
    (work_dir / 'record.json').write_text(json.dumps(record))
    return work_dir


@pytest.fixture
def records_root(tmp_path: Path) -> Path:
    """Five records: OneFormer joint (seeds 0 and 1) and Mask2Former x 3 (seed 0)."""
    root = tmp_path / 'work'
    for seed, pq in ((0, 40.0), (1, 42.0)):
        write_record(root / f'oneformer_joint-seed{seed}', name='oneformer_joint',
                     label='OneFormer', seed=seed, index=0, config='oneformer_r18',
                     family='oneformer', trained=ALL, hours=0.10,
                     metrics=dict(panoptic=dict(PQ=pq, PQ_th=pq + 5, PQ_st=pq - 5),
                                  instance=dict(segm_mAP=0.25 + 0.01 * seed),
                                  semantic=dict(mIoU=50.0 + seed)),
                     params=15_000_000, speed=dict(panoptic=20.0, instance=22.0, semantic=18.0))
    write_record(root / 'm2f_panoptic-seed0', name='m2f_panoptic', label='M2F-Panoptic', seed=0,
                 index=1, config='m2f_pan', family='mask2former', trained=['panoptic'],
                 hours=0.05, metrics=dict(panoptic=dict(PQ=38.0, PQ_th=41.0, PQ_st=33.5),
                                          instance=dict(segm_mAP=0.2),
                                          semantic=dict(mIoU=47.25)),
                 speed=dict(panoptic=15.0))
    write_record(root / 'm2f_instance-seed0', name='m2f_instance', label='M2F-Instance', seed=0,
                 index=2, config='m2f_ins', family='mask2former', trained=['instance'],
                 hours=0.05, metrics=dict(instance=dict(segm_mAP=0.3)), speed=dict(instance=16.0))
    write_record(root / 'm2f_semantic-seed0', name='m2f_semantic', label='M2F-Semantic', seed=0,
                 index=3, config='m2f_sem', family='mask2former', trained=['semantic'],
                 hours=0.05, metrics=dict(semantic=dict(mIoU=52.0)), speed=dict(semantic=14.0))
    return root


@pytest.fixture
def tiny_options(tiny_shapes: Path) -> Dict[str, object]:
    """``--cfg-options`` that make a ``*_shapes*`` config a seconds-long run on tiny_shapes.

    Repoints datasets and evaluators, shrinks crops and test resize to 64 px, runs loaders in
    the main process and keeps one pixel-decoder and two transformer-decoder layers. Pipeline
    indices follow ``configs/_base_/datasets/shapes.py``.
    """
    root, size, iters = str(tiny_shapes).rstrip('/') + '/', (64, 64), 2
    options: Dict[str, object] = {
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
        'param_scheduler.end': iters, 'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': 1, 'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.pipeline.3.scale': size,
        'train_dataloader.dataset.pipeline.4.crop_size': size,
        'model.panoptic_head.pixel_decoder.encoder.num_layers': 1,
        'model.panoptic_head.transformer_decoder.num_layers': 2,
        'log_level': 'WARNING'}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.data_root': root})
    for split in ('val', 'test'):
        metrics = f'{split}_evaluator.metrics'
        options.update({
            f'{split}_dataloader.batch_size': 4,
            f'{split}_dataloader.dataset.pipeline.1.scale': size,
            f'{metrics}.panoptic.ann_file': root + 'annotations/panoptic_val.json',
            f'{metrics}.panoptic.seg_prefix': root + 'annotations/panoptic_val/',
            f'{metrics}.instance.ann_file': root + 'annotations/instances_val.json'})
    return options
