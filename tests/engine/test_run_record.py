"""RunRecordHook: the record of a real tiny run, counters across a resume, atomic merging."""
import json
import math
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from torch import nn

from unibench.engine.config import set_test_tasks
from unibench.engine.hooks import RunRecordHook, read_record, update_record
from unibench.engine.hooks.cost import count_flops, pipeline_input_size
from unibench.registry import HOOKS, MODELS
from unibench.testing import tiny_config

REPO = Path(__file__).resolve().parents[2]
ONEFORMER = REPO / 'configs/oneformer/oneformer_r18_1xb8-3k_shapes.py'


def small(cfg: Config) -> Config:
    """64 px crops and test resize, one encoder and two decoder layers (seconds per step)."""
    size = (64, 64)
    cfg.train_dataloader.dataset.pipeline[3].scale = size  # RandomResize
    cfg.train_dataloader.dataset.pipeline[4].crop_size = size  # RandomCrop
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.pipeline[1].scale = size  # Resize
    cfg.model.panoptic_head.pixel_decoder.encoder.num_layers = 1
    cfg.model.panoptic_head.transformer_decoder.num_layers = 2
    return cfg


def test_every_config_adds_the_hook():
    cfg = Config.fromfile(str(ONEFORMER))
    assert dict(type='RunRecordHook') in cfg.custom_hooks
    assert HOOKS.get('RunRecordHook') is RunRecordHook


def test_record_of_a_tiny_training_run_and_its_test(tiny_shapes, tmp_path):
    work = tmp_path / 'work'
    cfg = small(tiny_config(str(ONEFORMER), data_root=tiny_shapes, work_dir=work, max_iters=2))
    Runner.from_cfg(cfg.copy()).train()
    record = read_record(str(work))

    ident = record['identity']
    assert ident['config'] == ONEFORMER.stem and ident['family'] == 'oneformer'
    assert ident['model'] == 'OneFormer' and ident['backbone'] == 'ResNet-18'
    assert ident['dataset']['type'] == 'ShapesPanopticDataset'
    assert ident['tasks_trained'] == ['panoptic', 'instance', 'semantic']
    assert ident['seed'] == cfg.randomness.seed and ident['num_processes'] == 1
    assert ident['precision'] == 'fp32'
    assert {'torch', 'mmengine', 'mmdet', 'mmseg'} <= set(ident['versions'])
    assert ident['device']['name'] and 'commit' in ident['git']

    train = record['train']
    assert train['status'] == 'finished' and train['finished_at']
    assert train['iterations'] == 2 and train['images_seen'] == 2 * 2
    assert train['wall_clock_s'] > 0 and train['val_s'] > 0
    assert train['wall_clock_s'] > train['val_s']
    assert math.isclose(train['device_hours'], train['wall_clock_s'] / 3600)
    assert train['warmup_iters'] == 1 and train['measured_iters'] == 1  # min(10, 2 // 2)
    assert train['train_img_per_s'] > 0 and 0 <= train['data_time_share'] < 1
    kind = 'cuda_max_memory_allocated' if torch.cuda.is_available() else 'cpu_peak_rss'
    assert train['peak_memory']['kind'] == kind and train['peak_memory']['bytes'] > 2**20
    assert [v['iter'] for v in train['val_history']] == [2]

    size = record['size']
    model = MODELS.build(cfg.model)
    assert size['params_train'] == sum(p.numel() for p in model.parameters())
    assert size['params_inference'] == model.num_parameters(inference=True)
    assert size['params_inference'] < size['params_train']  # the text mapper is training-only
    assert size['flops']['flops'] > 1e6 and size['flops']['input_shape'] == [1, 3, 64, 64]
    assert size['flops']['reason'] is None
    checkpoint = size['checkpoint']['path']
    assert checkpoint.endswith('iter_2.pth')
    assert size['checkpoint']['bytes'] == os.path.getsize(checkpoint)

    val = record['evaluations']['val:panoptic+instance+semantic']
    assert val['mode'] == 'val' and val['iter'] == 2 and val['num_images'] == 4
    assert {t: r['task_token'] for t, r in val['results'].items()} == {
        'panoptic': 'panoptic', 'instance': 'instance', 'semantic': 'semantic'}
    assert {'PQ', 'PQ_th', 'PQ_st'} <= set(val['results']['panoptic']['metrics'])
    assert 'segm_mAP' in val['results']['instance']['metrics']
    assert 'mIoU' in val['results']['semantic']['metrics']

    # tools/test.py in the same work dir: the evaluation is added, training is kept.
    test_cfg = cfg.copy()
    set_test_tasks(test_cfg, 'semantic')
    test_cfg.load_from = checkpoint
    test_cfg.model.train_cfg = None
    Runner.from_cfg(test_cfg).test()
    after = read_record(str(work))
    assert after['train'] == train and after['identity']['config'] == ident['config']
    assert after['size']['params_train'] == size['params_train']
    test = after['evaluations']['test:semantic']
    assert test['tasks'] == ['semantic'] and list(test['results']) == ['semantic']
    assert test['checkpoint']['path'] == checkpoint and test['seconds'] > 0
    assert 'val:panoptic+instance+semantic' in after['evaluations']


class _Runner(SimpleNamespace):
    """The parts of a Runner the hook reads during training."""


def _fake_runner(work_dir: Path, *, start_iter: int, hub: MessageHub) -> _Runner:
    cfg = Config(dict(model=dict(backbone=dict(type='mmdet.ResNet', depth=18)),
                      train_dataloader=dict(dataset=dict(type='ShapesPanopticDataset',
                                                         tasks=('panoptic', )))))
    return _Runner(iter=start_iter, max_iters=6, world_size=1, seed=3, cfg=cfg,
                   work_dir=str(work_dir), message_hub=hub, experiment_name='fake',
                   model=nn.Linear(4, 2))


def test_counters_continue_after_a_resume(tmp_path):
    hub = MessageHub.get_instance('run_record_resume_test')
    batch = dict(inputs=[torch.zeros(3, 8, 8)] * 4)

    def train(hook: RunRecordHook, runner: _Runner, iters: int) -> None:
        hook.before_train(runner)
        for _ in range(iters):
            hook.before_train_iter(runner, runner.iter, batch)
            runner.iter += 1
            hook.after_train_iter(runner, runner.iter, batch)

    runner = _fake_runner(tmp_path, start_iter=0, hub=hub)
    first = RunRecordHook(warmup_iters=1, count_flops=False)
    train(first, runner, 4)  # interrupted at iteration 4: no after_train
    partial = read_record(str(tmp_path))['train']
    assert partial['status'] == 'running' and partial['sessions'] == 1
    saved = dict(hub.get_info('unibench_run_record'))  # what a checkpoint at iter 4 stores
    assert saved['images_seen'] == 16 and saved['measured_iters'] == 3

    resumed = _fake_runner(tmp_path, start_iter=4, hub=hub)
    second = RunRecordHook(warmup_iters=1, count_flops=False)
    train(second, resumed, 2)
    second.after_train(resumed)
    record = read_record(str(tmp_path))['train']
    assert record['status'] == 'finished' and record['sessions'] == 2
    assert record['iterations'] == 6 and record['images_seen'] == 24
    assert record['measured_iters'] == 3 + 1  # one warm-up iteration per session
    assert record['wall_clock_s'] >= saved['wall_clock_s']
    assert record['train_img_per_s'] > 0
    assert read_record(str(tmp_path))['size']['flops']['flops'] is None


def test_update_record_merges_sections_and_writes_atomically(tmp_path, monkeypatch):
    update_record(str(tmp_path), dict(size=dict(a=1), train=dict(status='running')))
    update_record(str(tmp_path), dict(size=dict(b=2), evaluations={'test:semantic': dict(x=1)}))
    record = read_record(str(tmp_path))
    assert record['size'] == dict(a=1, b=2) and record['train'] == dict(status='running')
    assert record['evaluations'] == {'test:semantic': dict(x=1)}
    before = (tmp_path / 'record.json').read_text()
    json.loads(before)

    # The writer dies after writing the whole new record, before it is in place: a reader at
    # that moment, and after, sees the old record whole, and nothing else is left behind.
    seen = {}

    def crash(fd):
        seen['written'] = os.fstat(fd).st_size
        seen['visible'] = (tmp_path / 'record.json').read_text()
        raise OSError('disk gone')

    with monkeypatch.context() as patch:
        patch.setattr(os, 'fsync', crash)
        with pytest.raises(OSError, match='disk gone'):
            update_record(str(tmp_path), dict(size=dict(c=3)))
    assert seen['written'] > len(before)  # the new (longer) record had been written out
    assert seen['visible'] == before
    assert (tmp_path / 'record.json').read_text() == before
    assert sorted(os.listdir(tmp_path)) == ['record.json']  # no temp or lock files left

    with pytest.raises(ValueError):  # NaN is not JSON: refused, the record unchanged
        update_record(str(tmp_path), dict(size=dict(c=float('nan'))))
    assert (tmp_path / 'record.json').read_text() == before
    assert sorted(os.listdir(tmp_path)) == ['record.json']


def test_flop_count_is_null_with_a_reason_when_it_cannot_trace():
    class Untraceable(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.data_preprocessor = lambda data, training: data

        def forward(self, inputs, data_samples, mode):
            raise RuntimeError('cannot trace this')

    model = Untraceable()
    result = count_flops(model, input_size=(32, 32))
    assert result['flops'] is None and 'cannot trace this' in result['reason']
    assert result['input_shape'] == [1, 3, 32, 32]
    assert count_flops(model, input_size=None)['reason'].startswith('no input size')
    assert pipeline_input_size([dict(type='LoadImageFromFile'),
                            dict(type='Resize', scale=(96, 64))]) == (64, 96)


def test_the_backbone_name_says_a_resnets_width():
    from unibench.engine.hooks.run_record import backbone_name
    resnet = dict(type='mmdet.ResNet', depth=18)
    assert backbone_name(dict(backbone=resnet)) == 'ResNet-18'
    assert backbone_name(dict(backbone=dict(resnet, base_channels=64))) == 'ResNet-18'
    assert backbone_name(dict(backbone=dict(resnet, base_channels=32))) == 'ResNet-18-w32'
    assert backbone_name(dict(backbone=dict(type='SwinTransformer', base_channels=32))) == \
        'SwinTransformer'
    assert backbone_name(dict()) is None
