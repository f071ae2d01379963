"""The SegGPT-style painter: encoder, decoder, loss, canvas, ensembles, configs, training."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.engine.painter_prompts import attach_prompts
from unibench.models.backbones.painter_vit import PainterViT
from unibench.models.losses.painter_loss import MaskedSmoothL1Loss
from unibench.models.segmentors.painter import Prompt, tile_prompts
from unibench.registry import MODELS
from unibench.testing import (
    TINY_MODELS,
    assert_every_parameter_has_a_gradient,
    assert_prediction_format,
    first_batch,
    tiny_config,
)

REPO = Path(__file__).resolve().parents[2]
SHAPES = REPO / 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'
PAPER = REPO / 'configs/seggpt/seggpt_vit-l_64xb2-9k_coco.py'


def tiny_vit(**kwargs) -> PainterViT:
    args = dict(img_size=(32, 16), patch_size=4, embed_dim=32, depth=4, num_heads=2,
                drop_path_rate=0.0, pretrain_img_size=16, merge_index=1, out_indices=(2, 3))
    return PainterViT(**{**args, **kwargs}).eval()


def build(cfg, **test_cfg):
    cfg.model.test_cfg.update(test_cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return attach_prompts(model)


@pytest.fixture
def shapes_cfg(tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path)
    # Tests do not build the cached encoder pre-training (tests/engine/test_pretrained.py).
    cfg.model.backbone.init_cfg = None
    return cfg


@pytest.fixture
def tiny_cfg(tiny_shapes, tmp_path):
    """The shapes leaf with configs/_base_/models/painter_tiny.py (same 16 x 8 token canvas)."""
    return tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path,
                       model=TINY_MODELS['painter'])


def test_paper_config_has_the_published_size():
    cfg = Config.fromfile(str(PAPER))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    encoder = sum(p.numel() for p in model.backbone.parameters())
    decoder = sum(p.numel() for p in model.decode_head.parameters())
    d, hidden, blocks = 1024, 4096, 24
    block = (4 * d  # two LayerNorms
             + 3 * d * d + 3 * d + d * d + d  # qkv, proj
             + (2 * 56 - 1 + 2 * 28 - 1) * 64  # decomposed relative positions, 56 x 28 grid
             + 2 * d * hidden + hidden + d)  # MLP
    stem = 3 * 16 * 16 * d + d + 5 * d + 197 * d + 2 * d  # patch embed, tokens, pos, norm
    assert encoder == stem + blocks * block == 303_560_704
    # The paper: "ViT-L, 307M" (a rounded ViT-L count; timm's ViT-L/16 has 304.3M).
    assert abs(encoder - 307e6) / 307e6 < 0.015
    assert decoder == 4 * d * 16 * 16 * 64 + 16 * 16 * 64 + 64 * 64 * 9 + 64 + 2 * 64 + 64 * 3 + 3
    assert model.backbone.blocks[0].attn.rel_pos_h.shape == (2 * 56 - 1, 64)
    assert model.backbone.pos_embed.shape == (1, 197, 1024)


def test_encoder_outputs_and_stream_merge():
    vit = tiny_vit()
    imgs, tgts = torch.randn(2, 3, 32, 16), torch.randn(2, 3, 32, 16)
    mask = torch.zeros(2, 8, 4, dtype=torch.bool)
    outs = vit.forward_pair(imgs, tgts, mask, torch.tensor([0, 1]))
    assert [o.shape for o in outs] == [(2, 8, 4, 32)] * 2
    feats = vit(torch.randn(1, 3, 32, 32))  # plain backbone use
    assert [f.shape for f in feats] == [(1, 32, 8, 8)] * 2 and vit.strides == [4, 4]
    with pytest.raises(ValueError, match='after merge_index'):
        tiny_vit(out_indices=(1, 3))


def test_masked_target_patches_do_not_leak():
    vit = tiny_vit()
    imgs, tgts = torch.randn(1, 3, 32, 16), torch.randn(1, 3, 32, 16)
    mask = torch.zeros(1, 8, 4, dtype=torch.bool)
    mask[:, 4:] = True
    other = tgts.clone()
    other[:, :, 16:] = torch.randn(1, 3, 16, 16)  # change only the masked (query) target
    a = vit.forward_pair(imgs, tgts, mask, torch.tensor([0]))[-1]
    b = vit.forward_pair(imgs, other, mask, torch.tensor([0]))[-1]
    assert torch.equal(a, b)


def test_feature_ensemble_of_identical_prompts_equals_one_prompt():
    vit = tiny_vit()
    imgs, tgts = torch.randn(2, 3, 32, 16), torch.randn(2, 3, 32, 16)
    mask = torch.zeros(2, 8, 4, dtype=torch.bool)
    mask[:, 4:] = True
    seg = torch.tensor([0, 1])
    single = vit.forward_pair(imgs, tgts, mask, seg)
    k = 3
    rep = lambda x: x.repeat_interleave(k, dim=0)  # noqa: E731
    ens = vit.forward_pair(rep(imgs), rep(tgts), rep(mask), rep(seg), num_prompts=k)
    for s, e in zip(single, ens):
        torch.testing.assert_close(e[::k], s, atol=1e-5, rtol=1e-5)
    # Different prompts: the query halves agree within each group after the ensemble.
    imgs2 = rep(imgs).clone()
    imgs2[1::k, :, :16] += 1.0
    out = vit.forward_pair(imgs2, rep(tgts), rep(mask), rep(seg), num_prompts=k)[-1]
    query = out[:, 4:].reshape(2, k, 4, 4, 32)
    torch.testing.assert_close(query[:, 0], query[:, 1], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(out[0, :4], out[1, :4])  # the prompt halves still differ


def test_masked_smooth_l1_counts_only_the_weighted_pixels():
    loss = MaskedSmoothL1Loss(beta=0.01)
    pred, target = torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
    pred[0, :, 0, 0] = 1.0  # masked: smooth-L1(1) = 1 - 0.005
    pred[0, :, 1, 1] = 5.0  # not masked
    weight = torch.zeros(1, 1, 2, 2)
    weight[0, 0, 0, :] = 1  # two masked pixels x 3 channels
    assert float(loss(pred, target, weight)) == pytest.approx(3 * 0.995 / 6)
    assert float(loss(pred, target, torch.zeros(1, 1, 2, 2))) == 0.0


def test_tile_prompts_builds_the_spatial_grid():
    x = torch.arange(4.).view(4, 1, 1, 1).expand(4, 1, 8, 8).clone()
    tiled = tile_prompts(x, 'nearest')
    assert tiled.shape == (1, 1, 8, 8)
    assert tiled[0, 0, 0, 0] == 0 and tiled[0, 0, 0, 7] == 1 and tiled[0, 0, 7, 0] == 2
    assert tiled[0, 0, 7, 7] == 3
    with pytest.raises(ValueError, match='square number'):
        tile_prompts(x[:3], 'nearest')


def test_shapes_config_forward_backward_gives_every_parameter_a_gradient(shapes_cfg):
    model = build(shapes_cfg)
    data = model.data_preprocessor(first_batch(shapes_cfg), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_painting'} and torch.isfinite(losses['loss_painting'])
    losses['loss_painting'].backward()
    assert_every_parameter_has_a_gradient(model)


def test_loss_is_taken_on_the_masked_target_only(shapes_cfg, monkeypatch):
    model = build(shapes_cfg).eval()  # eval: no stochastic depth, same forward twice
    data = model.data_preprocessor(first_batch(shapes_cfg), training=True)
    (h, w), p = shapes_cfg.model.backbone.img_size, shapes_cfg.model.backbone.patch_size
    grid = (h // p, w // p)  # 16 x 8 tokens: the prompt's rows, then the query's
    mask = torch.zeros(2, *grid, dtype=torch.bool)
    mask[:, grid[0] // 2:, :grid[1] // 2] = True  # the left half of the query target
    monkeypatch.setattr(model, 'train_masks', lambda num, grid, device: mask)
    head = model.decode_head.forward
    delta = {}
    monkeypatch.setattr(model.decode_head, 'forward',
                        lambda feats: head(feats) + delta.get('d', 0))
    seen = {}
    loss_fn = model.loss_painting.forward

    def spy(pred, target, weight):
        seen['weight'] = weight
        return loss_fn(pred, target, weight)

    monkeypatch.setattr(model.loss_painting, 'forward', spy)
    with torch.no_grad():
        base = float(model.loss(**data)['loss_painting'])
        valid = torch.cat([torch.stack([s.prompt_valid for s in data['data_samples']]),
                           torch.stack([s.query_valid for s in data['data_samples']])], 2)
        pixels = torch.zeros(2, 1, h, w)
        pixels[:, :, h // 2:, :w // 2] = 1
        assert torch.equal(seen['weight'], pixels * valid)
        d = torch.zeros(2, 3, h, w)
        d[:, :, :h // 2] = 5.0  # the whole prompt half
        d[:, :, h // 2:, w // 2:] = 5.0  # the visible right half of the query
        delta['d'] = d
        assert float(model.loss(**data)['loss_painting']) == pytest.approx(base, rel=1e-6)
        d = torch.zeros(2, 3, h, w)
        d[:, :, h // 2:, :w // 2] = 5.0  # the masked pixels
        delta['d'] = d
        assert float(model.loss(**data)['loss_painting']) > base + 1.0


def test_inference_masks_the_whole_query_half(shapes_cfg, monkeypatch):
    model = build(shapes_cfg).eval()
    seen = {}
    forward = model.backbone.forward_pair

    def spy(imgs, tgts, mask, seg_type, num_prompts=1):
        seen.update(imgs=imgs, mask=mask, seg_type=seg_type, num_prompts=num_prompts)
        return forward(imgs, tgts, mask, seg_type, num_prompts=num_prompts)

    monkeypatch.setattr(model.backbone, 'forward_pair', spy)
    size = shapes_cfg.model.backbone.img_size[1]  # 64: each half of the canvas
    prompt = Prompt(torch.zeros(2, 3, 32, 32), torch.zeros(2, 3, 32, 32), [1, 2], 'test')
    inputs = torch.randn(3, 3, size, size)  # the prompts are resized to the query size
    out = model.paint(inputs, 'instance', prompt)
    assert out.shape == (3, 3, size, size) and out.min() >= 0 and out.max() <= 255
    mask = seen['mask']
    assert mask.shape == (6, 16, 8) and mask[:, 8:].all() and not mask[:, :8].any()
    assert seen['num_prompts'] == 2 and (seen['seg_type'] == 1).all()
    torch.testing.assert_close(seen['imgs'][::2, :, size:], inputs)  # query below the prompt


def test_feature_ensemble_in_paint_matches_single_prompt(shapes_cfg):
    model = build(shapes_cfg).eval()
    img, tgt = torch.randn(1, 3, 64, 64), torch.randn(1, 3, 64, 64)
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        one = model.paint(inputs, 'semantic', Prompt(img, tgt, [0], 't'))
        three = model.paint(inputs, 'semantic', Prompt(img.repeat(3, 1, 1, 1),
                                                       tgt.repeat(3, 1, 1, 1), [0] * 3, 't'))
    torch.testing.assert_close(three, one, atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize('ensemble', ['feature', 'spatial'])
def test_predictions_follow_the_task_and_record_the_prompts(ensemble, tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path, batch_size=4,
                      model=TINY_MODELS['painter'])
    cfg.model.train_cfg = None
    model = build(cfg, num_prompts=4, ensemble=ensemble, prompt_seed=3).eval()
    batch = first_batch(cfg, 'val')
    tasks = ['instance', 'semantic', 'panoptic', 'instance']  # one batch, each sample its own
    for sample, task in zip(batch['data_samples'], tasks):
        sample.set_metainfo(dict(task=task))
    with torch.no_grad():
        out = model.test_step(batch)
    assert len(out) == len(tasks)
    for sample, task in zip(out, tasks):
        assert_prediction_format(sample, task, num_classes=12, num_things_classes=7)
        meta = sample.metainfo
        assert meta['num_prompts'] == 4 and meta['prompt_seed'] == 3
        assert meta['prompt_split'] == 'train' and len(meta['prompt_ids']['semantic']) == 4
    # Same seed, same prompts; another seed, other prompts.
    again = build(cfg, num_prompts=4, prompt_seed=3).prompt_bank().get('semantic').ids
    assert again == out[0].metainfo['prompt_ids']['semantic']
    other = build(cfg, num_prompts=4, prompt_seed=4).prompt_bank().get('semantic').ids
    assert other != again


def test_one_batch_overfit_halves_the_loss(tiny_cfg):
    tiny_cfg.model.train_cfg.half_mask_prob = 1.0  # the same (query-half) mask every step
    model = build(tiny_cfg)
    batch = first_batch(tiny_cfg)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(50):  # ~0.3 of the first loss; the mean colour comes first (~10 steps)
        data = model.data_preprocessor(batch, training=True)
        loss = model(**data, mode='loss')['loss_painting']
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0], losses


def test_unknown_test_cfg_key_is_named(shapes_cfg):
    shapes_cfg.model.test_cfg.num_prompt = 2
    with pytest.raises(KeyError, match="unknown keys \\['num_prompt'\\]"):
        MODELS.build(shapes_cfg.model)
