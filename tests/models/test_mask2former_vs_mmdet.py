"""unibench's Mask2Former head computes mmdet's Mask2FormerHead: the same outputs of every
decoder layer and the same losses given the same points (fp32, CPU).

mmdet's head is the reference path only here; the model path is the shared decoder and criterion.
"""
import copy

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

import unibench  # noqa: F401
from unibench.registry import MODELS

CONFIG = 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py'
SIZE = 128
CHANNELS, STRIDES = [64, 128, 256, 512], [4, 8, 16, 32]  # ResNet-18


def mmdet_head_cfg(ours: ConfigDict) -> ConfigDict:
    """The same head as mmdet spells it (mmdet's Mask2FormerHead arguments)."""
    crit = ours.criterion
    num_classes = ours.num_things_classes + ours.num_stuff_classes
    return ConfigDict(
        type='mmdet.Mask2FormerHead', in_channels=CHANNELS, strides=STRIDES,
        feat_channels=ours.embed_dims, out_channels=ours.embed_dims,
        num_things_classes=ours.num_things_classes, num_stuff_classes=ours.num_stuff_classes,
        num_queries=ours.num_queries, num_transformer_feat_level=ours.pixel_decoder.num_outs,
        pixel_decoder=ours.pixel_decoder, enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=ours.embed_dims // 2, normalize=True),
        transformer_decoder=dict(return_intermediate=True, **ours.transformer_decoder),
        loss_cls=dict(crit.loss_cls, class_weight=[1.0] * num_classes + [crit.no_object_weight]),
        loss_mask=crit.loss_mask, loss_dice=crit.loss_dice,
        train_cfg=dict(num_points=crit.num_points, oversample_ratio=crit.oversample_ratio,
                       importance_sample_ratio=crit.importance_sample_ratio,
                       assigner=crit.assigner, sampler=dict(type='mmdet.MaskPseudoSampler')))


@pytest.fixture(scope='module')
def heads():
    cfg = Config.fromfile(CONFIG).model.panoptic_head
    torch.manual_seed(0)
    reference = MODELS.build(mmdet_head_cfg(copy.deepcopy(cfg)))
    reference.init_weights()
    ours = MODELS.build(cfg, default_args=dict(in_channels=CHANNELS, strides=STRIDES,
                                               train_cfg=dict()))
    result = ours.load_state_dict(reference.state_dict(), strict=True)  # mmdet names load
    assert not result.missing_keys and not result.unexpected_keys
    return reference, ours


def inputs(batch=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, c, SIZE // s, SIZE // s, generator=g)
             for c, s in zip(CHANNELS, STRIDES)]
    samples = []
    for b in range(batch):
        num = 3 + 2 * b
        yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing='ij')
        masks = torch.stack([((yy // 16 + xx // 16 + k) % (num + 1) == 0) for k in range(num)])
        sample = DetDataSample(metainfo=dict(batch_input_shape=(SIZE, SIZE),
                                             img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE)))
        sample.gt_instances = InstanceData(labels=torch.randint(0, 12, (num, ), generator=g),
                                           masks=masks)
        samples.append(sample)
    return feats, samples


def test_every_decoder_layer_matches_mmdet(heads):
    reference, ours = heads
    feats, samples = inputs()
    with torch.no_grad():
        ref_cls, ref_masks = reference(feats, samples)
        cls, masks, _ = ours(feats, samples)
    assert len(cls) == len(ref_cls) == 7  # initial queries + 6 layers
    for i, (a, b, c, d) in enumerate(zip(cls, ref_cls, masks, ref_masks)):
        assert torch.allclose(a, b, atol=1e-5, rtol=0), (i, (a - b).abs().max())
        assert torch.allclose(c, d, atol=1e-5, rtol=0), (i, (c - d).abs().max())



def test_inference_predictions_match_mmdet(heads):
    """``predict`` runs the decoder's final-only path (the earlier stages' masks only at the
    attention sizes): the same final logits as mmdet's ``predict`` and the same attention masks
    at every layer."""
    reference, ours = heads
    feats, samples = inputs()
    masks_seen = {'ref': [], 'ours': []}

    def spy(layers, key):
        for layer in layers:
            def hook(module, args, kwargs, key=key):
                masks_seen[key].append(kwargs['cross_attn_mask'].clone())
            layer.register_forward_pre_hook(hook, with_kwargs=True)

    spy(reference.transformer_decoder.layers, 'ref')
    spy(ours.decoder.layers, 'ours')
    try:
        with torch.no_grad():
            ref_cls, ref_masks = reference.predict(feats, samples)
            cls, masks = ours.predict(feats, samples)
    finally:
        for layers in (reference.transformer_decoder.layers, ours.decoder.layers):
            for layer in layers:
                layer._forward_pre_hooks.clear()
    assert masks.shape == ref_masks.shape == (2, ours.num_queries, SIZE, SIZE)
    assert torch.allclose(cls, ref_cls, atol=1e-5, rtol=0), (cls - ref_cls).abs().max()
    assert torch.allclose(masks, ref_masks, atol=1e-5, rtol=0), (masks - ref_masks).abs().max()
    assert len(masks_seen['ours']) == len(masks_seen['ref']) == 6
    for i, (a, b) in enumerate(zip(masks_seen['ours'], masks_seen['ref'])):
        assert torch.equal(a, b), (i, (a != b).sum())

class Recorder:
    """Stands in for ``torch.rand``: records each call's result, or replays given results."""

    def __init__(self, replay=None):
        self.calls, self.replay, self._rand = [], replay, torch.rand

    def __call__(self, *size, **kwargs):
        if self.replay is None:
            out = self._rand(*size, **kwargs)
            self.calls.append(out)
            return out
        out = self.replay.pop(0)
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple) else size
        assert tuple(out.shape) == tuple(shape), (out.shape, shape)
        return out


def test_losses_and_gradients_match_mmdet_given_the_same_points(heads, monkeypatch):
    reference, ours = heads
    feats, samples = inputs()
    with torch.no_grad():
        cls_scores, mask_preds = reference(feats, samples)
    gts = [s.gt_instances for s in samples]
    metas = [s.metainfo for s in samples]
    num_layers, batch = len(cls_scores), len(samples)

    def leaves():
        return ([c.clone().requires_grad_() for c in cls_scores],
                [m.clone().requires_grad_() for m in mask_preds])

    ref_cls, ref_masks = leaves()
    recorder = Recorder()
    monkeypatch.setattr(torch, 'rand', recorder)
    ref_losses = reference.loss_by_feat(ref_cls, ref_masks, gts, metas)
    # mmdet draws, per output: B matching point sets, then importance candidates and randoms.
    calls, per = recorder.calls, batch + 2
    assert len(calls) == num_layers * per
    replay = [torch.stack([torch.cat(calls[i * per:i * per + batch]) for i in range(num_layers)]),
              torch.cat([calls[i * per + batch] for i in range(num_layers)]),
              torch.cat([calls[i * per + batch + 1] for i in range(num_layers)])]
    our_cls, our_masks = leaves()
    monkeypatch.setattr(torch, 'rand', Recorder(replay))
    our_losses = ours.criterion(our_cls, our_masks, gts, metas)
    monkeypatch.undo()

    assert set(our_losses) == set(ref_losses)
    for key, value in ref_losses.items():
        assert torch.allclose(our_losses[key], value, atol=1e-5, rtol=1e-5), (
            key, our_losses[key].item(), value.item())
    sum(ref_losses.values()).backward()
    sum(our_losses.values()).backward()
    for ref, our in zip(ref_cls + ref_masks, our_cls + our_masks):
        assert torch.allclose(our.grad, ref.grad, atol=1e-6, rtol=1e-4), (
            (our.grad - ref.grad).abs().max())


def test_a_checkpoint_of_the_former_head_layout_loads(heads):
    """unibench's earlier checkpoints (and mmdet's) name the decoder parts at the head's top."""
    _, ours = heads
    def former(key):
        for new, old in (('decoder.layers.', 'transformer_decoder.layers.'),
                         ('decoder.post_norm.', 'transformer_decoder.post_norm.'),
                         ('decoder.', '')):
            if key.startswith(new):
                return old + key[len(new):]
        return key

    legacy = {former(k): v for k, v in ours.state_dict().items()}
    assert 'cls_embed.weight' in legacy and 'transformer_decoder.layers.0.norms.0.weight' in legacy
    fresh = copy.deepcopy(ours)
    for p in fresh.parameters():
        torch.nn.init.zeros_(p)
    fresh.load_state_dict(legacy, strict=True)
    for key, value in ours.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_the_pixel_decoder_stays_fp32_under_autocast(heads):
    """The official code disables autocast in the pixel decoder (--amp trains the rest)."""
    _, ours = heads
    feats, samples = inputs()
    seen = {}
    forward = ours.pixel_decoder.forward

    def spy(x):
        out = forward(x)
        seen.update(dtype=out[0].dtype, enabled=torch.is_autocast_enabled('cpu'))
        return out

    ours.pixel_decoder.forward = spy
    try:
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            cls, masks, _ = ours([f.bfloat16() for f in feats], samples)
    finally:
        del ours.pixel_decoder.forward
    assert seen == dict(dtype=torch.float32, enabled=False)
    assert cls[-1].dtype == torch.bfloat16  # the decoder itself runs under autocast
