"""unibench's SwinTransformer loads mmdet's way (official names converted, ``backbone.`` names as
they are) and refuses a checkpoint that does not cover it, where mmdet's loads what matches."""
from typing import Dict

import pytest
import torch
from mmengine.config import ConfigDict
from torch import Tensor

from unibench.convert.common import swin_unfold_to_merge
from unibench.registry import MODELS

TINY = dict(type='SwinTransformer', embed_dims=16, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4],
            window_size=4, out_indices=(0, 1, 2, 3))


def build(checkpoint=None, **kwargs):
    init_cfg = None if checkpoint is None else dict(type='Pretrained', checkpoint=str(checkpoint))
    return MODELS.build(dict(TINY, init_cfg=init_cfg, **kwargs))


def official(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """mmdet names -> the names of a microsoft/Swin-Transformer ImageNet release, which has no
    per-level output norms and has a final norm and a classifier head."""
    out = {'norm.weight': torch.ones(128), 'norm.bias': torch.zeros(128),
           'head.weight': torch.zeros(10, 128), 'head.bias': torch.zeros(10)}
    for key, value in state.items():
        if key.startswith('norm'):
            continue
        if '.downsample.' in key:
            value = swin_unfold_to_merge(value)
        key = (key.replace('patch_embed.projection.', 'patch_embed.proj.')
               .replace('stages.', 'layers.', 1).replace('.attn.w_msa.', '.attn.')
               .replace('.ffn.layers.0.0.', '.mlp.fc1.').replace('.ffn.layers.1.', '.mlp.fc2.'))
        out[key] = value
    return out


@pytest.fixture(scope='module')
def source():
    torch.manual_seed(0)
    model = build()
    model.init_weights()
    with torch.no_grad():  # the output norms too, so that loading them is visible
        for name, param in model.named_parameters():
            if name.startswith('norm'):
                param.uniform_()
    return model.state_dict()


def test_an_official_release_loads_every_weight_it_has(source, tmp_path):
    path = tmp_path / 'swin_official.pth'
    torch.save(official(source), path)
    model = build(path, convert_weights=True)
    model.init_weights()
    for key, value in model.state_dict().items():
        if key.startswith('norm'):  # not in a classification release: initialised (1, 0)
            assert torch.equal(value, torch.ones_like(value) if key.endswith('weight') else
                               torch.zeros_like(value)), key
        else:
            assert torch.equal(value, source[key]), key


def test_a_backbone_checkpoint_loads_the_output_norms_too(source, tmp_path):
    path = tmp_path / 'swin_mmdet.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in source.items()}}, path)
    model = build(path)
    model.init_weights()
    assert all(torch.equal(v, source[k]) for k, v in model.state_dict().items())


def test_a_partial_checkpoint_is_refused_and_named(source, tmp_path):
    path = tmp_path / 'swin_partial.pth'
    torch.save({f'backbone.{k}': v for k, v in source.items() if not k.startswith('stages.3')},
               path)
    reference = MODELS.build(dict(TINY, type='mmdet.SwinTransformer', init_cfg=ConfigDict(
        type='Pretrained', checkpoint=str(path))))
    reference.init_weights()  # mmdet's: loads the 3 stages it finds, the last stays random
    with pytest.raises(ValueError, match=rf'{path} does not cover SwinTransformer\(embed_dims=16'
                                         r'\): \d+ of \d+ weights missing, e\.g\. \[.stages\.3'):
        build(path).init_weights()


def test_another_swin_is_refused_with_its_shapes(tmp_path):
    other = build(embed_dims=32, num_heads=[2, 4, 4, 8])
    path = tmp_path / 'swin_b.pth'
    torch.save({f'backbone.{k}': v for k, v in other.state_dict().items()}, path)
    with pytest.raises(ValueError, match=r'swin_b.pth does not cover .* 125 shape mismatches, '
                                         r"e\.g\. \['norm0\.bias: \(32,\) vs \(16,\)'"):
        build(path).init_weights()


def test_a_checkpoint_without_backbone_names_says_what_to_set(source, tmp_path):
    path = tmp_path / 'swin_bare.pth'
    torch.save(source, path)  # mmdet names, but no backbone. prefix
    with pytest.raises(ValueError, match=rf'{path} holds no backbone\.\* weights .*'
                                         r'convert_weights=True'):
        build(path).init_weights()
