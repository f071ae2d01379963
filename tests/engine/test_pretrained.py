"""The shared pre-trained backbone: cache hit, miss, a corrupt file rebuilt, the key follows the
config, and ``CachedPretrained`` loads it whole or fails naming what is wrong."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.engine import pretrained
from unibench.registry import MODELS
from unibench.testing import tiny_config

PRETRAIN = 'configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py'
M2F = 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py'


@pytest.fixture
def tiny_pretrain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The pre-training config on 4 + 2 images, 2 iterations, cached under ``tmp_path``."""
    monkeypatch.setenv('UNIBENCH_CACHE', str(tmp_path / 'cache'))
    cfg = Config.fromfile(PRETRAIN)
    root = str(tmp_path / 'pretrain-data') + '/'
    cfg.pretrain_data = dict(out=root, train=4, val=2, size=64, seed=1, preset='demo')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = 2
    cfg.log_level = 'WARNING'
    path = tmp_path / 'pretrain.py'
    cfg.dump(str(path))
    return str(path)


def test_miss_trains_hit_reuses_and_a_corrupt_file_is_rebuilt(tiny_pretrain, monkeypatch):
    lines = []
    path, record = pretrained.pretrain(tiny_pretrain, log=lines.append)
    assert not record['cached'] and record['train']['status'] == 'finished'
    assert path.parent == pretrained.cache_dir(tiny_pretrain)
    state = pretrained.load_backbone(path)
    assert 'conv1.weight' in state and not any(k.startswith('backbone.') for k in state)
    assert (path.parent / 'record.json').is_file()

    from mmengine.runner import Runner

    def no_training(*args, **kwargs):
        raise AssertionError('a cache hit must not train')

    with monkeypatch.context() as patch:
        patch.setattr(Runner, 'from_cfg', no_training)
        again, record = pretrained.pretrain(tiny_pretrain, log=lines.append)
    assert again == path and record['cached'] and record['train']['status'] == 'finished'

    path.write_bytes(path.read_bytes()[:100])  # truncated, as by a full disk or a kill
    with pytest.raises(pretrained.CorruptCacheError, match='cannot be read'):
        pretrained.cached_backbone(tiny_pretrain)
    rebuilt, record = pretrained.pretrain(tiny_pretrain, log=lines.append)
    assert not record['cached'] and pretrained.load_backbone(rebuilt).keys() == state.keys()
    assert any('cannot be read' in line and 'rebuilding' in line for line in lines)


def test_the_key_follows_the_config(tiny_pretrain, tmp_path):
    cfg = Config.fromfile(tiny_pretrain)
    first = pretrained.cache_dir(tiny_pretrain)
    assert first == pretrained.cache_dir(tiny_pretrain)  # stable
    cfg.optim_wrapper.optimizer.lr = 1e-3
    other = tmp_path / 'other.py'
    cfg.dump(str(other))
    assert pretrained.cache_dir(str(other)).name != first.name
    assert pretrained.cache_dir(str(other)).name.startswith('other-')
    cfg.pretrain_data.seed = 2  # the images are part of the key too
    cfg.optim_wrapper.optimizer.lr = Config.fromfile(tiny_pretrain).optim_wrapper.optimizer.lr
    cfg.dump(str(other))
    assert pretrained.cache_dir(str(other)).name.split('-')[-1] != first.name.split('-')[-1]


def _m2f(tmp_path, pretrain_cfg, depth=18, width=Config.fromfile(PRETRAIN).backbone_channels):
    cfg = tiny_config(M2F, data_root=tmp_path, work_dir=tmp_path)
    cfg.model.backbone.update(depth=depth, base_channels=width)
    cfg.model.backbone.init_cfg = dict(type='CachedPretrained', pretrain=pretrain_cfg)
    return MODELS.build(copy.deepcopy(cfg.model))


def test_cached_pretrained_loads_the_whole_backbone(tiny_pretrain, tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/pretrain.py'):
        _m2f(tmp_path, tiny_pretrain).init_weights()
    path, _ = pretrained.pretrain(tiny_pretrain, log=lambda _: None)
    model = _m2f(tmp_path, tiny_pretrain)
    model.init_weights()  # the backbone's own init runs too; the cached weights must win
    state = pretrained.load_backbone(path)
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[key]), key
    with pytest.raises(ValueError, match='missing keys .*layer1.0.conv3.weight'):
        _m2f(tmp_path, tiny_pretrain, depth=50).init_weights()
    with pytest.raises(ValueError, match=r"shape mismatches \['bn1.bias'"):  # full width
        _m2f(tmp_path, tiny_pretrain, width=64).init_weights()


VIT_PRETRAIN = 'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py'
PAINTER = 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'


def test_the_painters_pretraining_is_the_resnets_stage_for_the_painters_encoder():
    vit, resnet, painter = map(Config.fromfile, (VIT_PRETRAIN, PRETRAIN, PAINTER))
    # The same images, labels, batch, schedule and head as the query models' pre-training ...
    for key in ('pretrain_data', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'val_evaluator'):
        assert vit[key] == resnet[key], key
    loader = copy.deepcopy(vit.train_dataloader)
    # ... with the panoptic task's targets (the same class map, and the instances' centres)
    assert loader.dataset.pop('tasks') == ('panoptic', )
    assert resnet.train_dataloader.dataset.pop('tasks') == ('semantic', )
    assert loader == resnet.train_dataloader
    head = dict(vit.model.decode_head)
    assert head.pop('feature_strides') == [8] * 4  # a ViT's outputs are all at its patch
    assert head == {k: v for k, v in resnet.model.decode_head.items() if k != 'feature_strides'}
    # ... and a second head of the same form for the offsets.
    assert vit.model.offset_head.head == vit.model.decode_head
    assert vit.model.offset_head.num_things_classes == resnet.num_things_classes
    # ... for exactly the painter's encoder, which loads it.
    encoder = dict(painter.model.backbone)
    assert encoder.pop('init_cfg') == dict(type='CachedPretrained', pretrain=VIT_PRETRAIN)
    assert vit.model.backbone == encoder
    model = MODELS.build(copy.deepcopy(vit.model))
    assert model.backbone.patch_size == 8 and model.decode_head.in_channels == [128] * 4
    losses = model.loss(torch.randn(2, 3, 64, 64), _panoptic_samples(2, 64))
    assert torch.isfinite(losses['decode.loss_ce']) and losses['loss_offset'] > 0
    painter.model.backbone.init_cfg = None
    target = MODELS.build(copy.deepcopy(painter.model)).backbone
    target.load_state_dict(model.backbone.state_dict(), strict=True)  # every key, every shape


def _panoptic_samples(num: int, size: int) -> list:
    """Panoptic-task samples: a thing square (class 0) on one stuff region (class 8)."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    samples = []
    for i in range(num):
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), pad_shape=(size, size),
                                             ori_shape=(size, size), task='panoptic'))
        masks = torch.zeros((2, size, size), dtype=torch.bool)
        masks[0, 8 + i:30, 10:40] = True
        masks[1] = ~masks[0]
        sample.gt_instances = InstanceData(masks=masks, labels=torch.tensor([0, 8]))
        samples.append(sample)
    return samples


def test_pretrainings_started_together_generate_their_shared_images_once(tiny_pretrain,
                                                                          monkeypatch):
    """The demo's two pre-trainings share one image folder and start at once (jobs = 2)."""
    import threading

    from unibench.datasets import synthetic
    calls, generate = [], synthetic.generate_shapes_dataset

    def counted(*args, **kwargs):
        calls.append(args[0])
        return generate(*args, **kwargs)

    monkeypatch.setattr(synthetic, 'generate_shapes_dataset', counted)
    cfg, start, errors = Config.fromfile(tiny_pretrain), threading.Barrier(2), []

    def ensure():
        start.wait()
        try:
            pretrained._ensure_data(cfg, log=lambda _: None)
        except Exception as err:  # noqa: BLE001  (reported below)
            errors.append(err)

    threads = [threading.Thread(target=ensure) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(calls) == 1
    assert len(list(Path(cfg.pretrain_data.out, 'train').glob('*.jpg'))) == 4
