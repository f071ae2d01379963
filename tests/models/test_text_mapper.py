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


def test_paper_size_and_dataset_class_names():
    init_default_scope('unibench')
    m = MODELS.build(dict(type='TextMapper', dataset_type='ShapesPanopticDataset',
                          num_queries=250))
    assert m.num_texts == 234 and m.class_names[0] == 'circle'
    assert m.encoder.transformer.resblocks[0].attn.num_heads == 4
    # token 49408 x 256 + positions 77 x 256 + 6 CLIP blocks + final LN + 2-layer MLP + 16 ctx
    block = 4 * 256 + 3 * 256 * 256 + 3 * 256 + 256 * 256 + 256 + 2 * (256 * 1024) + 1024 + 256
    expected = (49408 * 256 + 77 * 256 + 6 * block + 2 * 256 + 2 * (256 * 256 + 256)
                + 16 * 256)
    assert sum(p.numel() for p in m.parameters()) == expected
