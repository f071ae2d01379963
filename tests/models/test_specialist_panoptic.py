"""SpecialistPanoptic: two trained specialists answering panoptic (combined), instance and
semantic (forwarded), with their checkpoints; its config builds."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.engine.hooks.cost import count_flops
from unibench.models.postprocess.combine_panoptic import combine_semantic_and_instances
from unibench.registry import MODELS
from unibench.testing import first_batch, tiny_config

REPO = Path(__file__).resolve().parents[2]
SEMANTIC = REPO / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-semantic.py'
INSTANCE = REPO / 'configs/panet/panet_r18_fpn_1xb8-3k_shapes-instance.py'
PAIR = REPO / 'configs/specialist_panoptic/pspnet-panet_r18_shapes-panoptic.py'


@pytest.fixture(scope='module')
def children(tiny_shapes, tmp_path_factory) -> dict:
    """Tiny semantic (Mask2Former-semantic) and instance (PANet) configs as files, and the
    checkpoints of one randomly initialised model of each."""
    folder = tmp_path_factory.mktemp('children')
    out = {}
    for role, path in (('semantic', SEMANTIC), ('instance', INSTANCE)):
        cfg = tiny_config(str(path), data_root=tiny_shapes, work_dir=folder)
        cfg.dump(str(folder / f'{role}.py'))
        torch.manual_seed(len(role))
        model = MODELS.build(cfg.model)
        model.init_weights()
        torch.save(dict(state_dict=model.state_dict()), folder / f'{role}.pth')
        out[role] = dict(config=str(folder / f'{role}.py'), checkpoint=str(folder / f'{role}.pth'))
    return out


def build_pair(children: dict, **kwargs):
    cfg = dict(type='SpecialistPanoptic', semantic=children['semantic'],
               instance=children['instance'], num_things_classes=7, num_stuff_classes=5,
               test_cfg=dict(score_thr=0.0, overlap_thr=0.5, stuff_area=4))
    cfg.update(kwargs)
    return MODELS.build(cfg).eval()


def val_batch(children: dict, task: str) -> dict:
    cfg = Config.fromfile(children['instance']['config'])
    batch = first_batch(cfg, 'val')
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(task=task))
    return batch


def test_children_load_their_checkpoints(children):
    pair = build_pair(children)
    for role in ('semantic', 'instance'):
        saved = torch.load(children[role]['checkpoint'], weights_only=True)['state_dict']
        for name, value in getattr(pair, role).state_dict().items():
            assert torch.equal(value, saved[name]), name
    assert sum(p.numel() for p in pair.parameters()) == sum(
        p.numel() for role in ('semantic', 'instance')
        for p in getattr(pair, role).parameters())


@torch.no_grad()
def test_semantic_and_instance_are_the_childrens_and_panoptic_combines_them(children):
    pair = build_pair(children)
    by_task = {}
    for task in ('semantic', 'instance', 'panoptic'):
        out = pair.test_step(val_batch(children, task))
        fields = {'pred_sem_seg', 'pred_instances', 'pred_panoptic_seg'}
        assert [sorted(fields & set(s.keys())) for s in out] == [
            [{'semantic': 'pred_sem_seg', 'instance': 'pred_instances',
              'panoptic': 'pred_panoptic_seg'}[task]]] * len(out)
        by_task[task] = out
    sem_child = pair.semantic.test_step(val_batch(children, 'semantic'))
    ins_child = pair.instance.test_step(val_batch(children, 'instance'))
    for i, sample in enumerate(by_task['panoptic']):
        assert torch.equal(by_task['semantic'][i].pred_sem_seg.sem_seg,
                           sem_child[i].pred_sem_seg.sem_seg)
        assert torch.equal(by_task['instance'][i].pred_instances.masks,
                           ins_child[i].pred_instances.masks)
        inst = ins_child[i].pred_instances
        expected = combine_semantic_and_instances(
            sem_child[i].pred_sem_seg.sem_seg[0], inst.masks, inst.labels, inst.scores,
            num_things_classes=7, num_classes=12, score_thr=0.0, overlap_thr=0.5, stuff_area=4)
        panoptic = sample.pred_panoptic_seg.sem_seg
        assert panoptic.shape == (1, *sample.ori_shape) and panoptic.dtype == torch.int32
        assert torch.equal(panoptic[0], expected)


def test_flops_are_both_childrens(children):
    pair = build_pair(children)
    both = count_flops(pair, input_size=(64, 64), task='panoptic')
    parts = [count_flops(pair.semantic, input_size=(64, 64), task='semantic'),
             count_flops(pair.instance, input_size=(64, 64), task='instance')]
    assert both['reason'] is None and all(p['reason'] is None for p in parts), both['reason']
    assert both['flops'] == sum(p['flops'] for p in parts) > 0


def test_training_and_bad_specs_are_refused(children, tmp_path):
    pair = build_pair(children)
    with pytest.raises(RuntimeError, match='trains nothing'):
        pair(torch.zeros(1, 3, 8, 8), [], mode='loss')
    with pytest.raises(ValueError, match='train_cfg must be None'):
        build_pair(children, train_cfg=dict(x=1))
    with pytest.raises(ValueError, match=r'semantic must be dict\(config=\.\.\., checkpoint'):
        build_pair(children, semantic=dict(cfg='x.py'))
    with pytest.raises(FileNotFoundError, match='instance.checkpoint: file not found: nope.pth'):
        build_pair(children, instance=dict(children['instance'], checkpoint='nope.pth'))
    torch.save(dict(state_dict={}), tmp_path / 'empty.pth')
    with pytest.raises(KeyError, match='empty.pth lacks'):
        build_pair(children, semantic=dict(children['semantic'],
                                           checkpoint=str(tmp_path / 'empty.pth')))
    with pytest.raises(ValueError, match="unknown task"):
        pair.test_step(val_batch(children, 'depth'))


def test_the_pspnet_panet_config_builds():
    cfg = Config.fromfile(str(PAIR))
    assert cfg.model.test_cfg.stuff_area == 105  # 4096 px at short side 800, scaled to 128
    assert list(cfg.test_evaluator.metrics) == ['panoptic', 'instance', 'semantic']
    pair = MODELS.build(cfg.model)
    assert type(pair.semantic).__name__ == 'SemanticSegmentor' and pair.semantic.family == 'pspnet'
    assert type(pair.instance).__name__ == 'PANet'
