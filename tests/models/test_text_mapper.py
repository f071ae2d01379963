"""CLIP tokenization and OneFormer's text mapper."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import unibench  # noqa: F401
from unibench.models.layers.tokenizer import EOT_ID, SOT_ID, tokenize
from unibench.registry import MODELS

CLASSES = ('person', 'car', 'sky', 'road')


def test_tokenize_task_prompt():
    ids = tokenize('the task is panoptic')
    assert ids.shape == (1, 77) and ids.dtype == torch.int64
    assert ids[0, 0].item() == SOT_ID == 49406
    length = int((ids[0] > 0).sum())
    assert ids[0, length - 1].item() == EOT_ID and ids[0, length:].eq(0).all()
    assert ids[0, 1].item() == 518  # CLIP's 'the</w>'
    # Case-insensitive (the official prompt is "The task is ..."); known CLIP ids.
    assert torch.equal(ids, tokenize('The task is panoptic'))
    assert tokenize('a photo')[0, :4].tolist() == [SOT_ID, 320, 1125, EOT_ID]


def test_tokenize_truncates_with_end_token():
    ids = tokenize(['word ' * 100, 'x'], context_length=8)
    assert ids.shape == (2, 8) and ids[0, -1].item() == EOT_ID and ids[0].ne(0).all()


def sample(task: str, labels) -> DetDataSample:
    s = DetDataSample(metainfo=dict(task=task))
    s.gt_instances = InstanceData(labels=torch.tensor(labels, dtype=torch.long))
    return s


@pytest.fixture(scope='module')
def mapper():
    init_default_scope('unibench')
    torch.manual_seed(0)
    return MODELS.build(dict(type='TextMapper', class_names=CLASSES, num_queries=7, num_ctx=2,
                             embed_dims=16, width=32, num_layers=1, num_heads=2))


def test_text_list_as_the_official_mapper(mapper):
    assert mapper.num_texts == 5
    texts = mapper.texts_for(sample('panoptic', [2, 0, 1, 0]))
    assert texts == ['a photo with a person', 'a photo with a person', 'a photo with a car',
                     'a photo with a sky', 'a panoptic photo']  # class order, one per mask
    assert mapper.texts_for(sample('instance', [])) == ['an instance photo'] * 5
    assert mapper.texts_for(sample('semantic', [3] * 9)) == ['a photo with a road'] * 5
    with pytest.raises(ValueError):
        mapper.texts_for(sample('depth', [0]))


def test_text_queries_shape_context_and_gradients(mapper):
    mapper.zero_grad()
    queries = mapper([sample('panoptic', [1, 2]), sample('semantic', [0])])
    assert queries.shape == (2, 7, 16)
    torch.testing.assert_close(queries[:, 5:], mapper.prompt_ctx.weight[None].expand(2, -1, -1))
    assert not torch.allclose(queries[0, :5], queries[1, :5])
    queries.square().sum().backward()
    assert all(p.grad is not None for p in mapper.parameters())
    # Official parameterisation: no output projection; heads = width // 64 by default.
    assert mapper.encoder.text_projection is None


def test_class_names_come_from_the_samples_metainfo(tiny_shapes):
    from unibench.datasets import ShapesPanopticDataset
    init_default_scope('unibench')
    m = MODELS.build(dict(type='TextMapper', num_queries=20, num_ctx=16))
    dataset = ShapesPanopticDataset(data_root=str(tiny_shapes), ann_file='annotations/'
                                    'panoptic_train.json', data_prefix=dict(
                                        img='train/', seg='annotations/panoptic_train/'),
                                    pipeline=[], tasks=['panoptic'])
    classes = dataset[0]['classes']
    assert classes == dataset.metainfo['classes'] and classes[0] == 'circle'
    s = DetDataSample(metainfo=dict(task='panoptic', classes=classes))
    s.gt_instances = InstanceData(labels=torch.tensor([1, 0]))
    assert m.texts_for(s)[:2] == [f'a photo with a {classes[0]}', f'a photo with a {classes[1]}']
    s.set_metainfo(dict(classes=['a', 'b']))  # the sample's names, not a registry's
    assert m.texts_for(s)[:2] == ['a photo with a a', 'a photo with a b']
    bare = DetDataSample(metainfo=dict(task='panoptic'))
    bare.gt_instances = InstanceData(labels=torch.tensor([0]))
    with pytest.raises(KeyError, match="no 'classes'.*meta_keys"):
        m.texts_for(bare)


def test_paper_size():
    init_default_scope('unibench')
    m = MODELS.build(dict(type='TextMapper', num_queries=250))
    assert m.num_texts == 234
    assert m.encoder.transformer.resblocks[0].attn.num_heads == 4
    # token 49408 x 256 + positions 77 x 256 + 6 CLIP blocks + final LN + 2-layer MLP + 16 ctx
    block = 4 * 256 + 3 * 256 * 256 + 3 * 256 + 256 * 256 + 256 + 2 * (256 * 1024) + 1024 + 256
    expected = (49408 * 256 + 77 * 256 + 6 * block + 2 * 256 + 2 * (256 * 256 + 256)
                + 16 * 256)
    assert sum(p.numel() for p in m.parameters()) == expected
