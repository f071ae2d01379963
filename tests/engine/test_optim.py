"""The official parameter groups (train_net.py build_optimizer) and clipping per family."""
import glob

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from unibench.engine.optim import param_group_of
from unibench.registry import MODELS

SHAPES_M2F = 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
SWIN_L = 'configs/mask2former/mask2former_swin-l_8xb2-160k_ade20k-panoptic.py'


def groups(path):
    cfg = Config.fromfile(path)
    cfg.model.backbone.init_cfg = None  # the groups do not depend on the weights
    model = MODELS.build(cfg.model)
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    return model, optimizer, cfg.optim_wrapper.optimizer.lr


def test_backbone_norms_and_embeddings_are_not_decayed_and_the_backbone_lr_is_scaled():
    model, optim, lr = groups(SHAPES_M2F)
    head = model.panoptic_head

    def check(param, *, lr_mult, wd):
        group = param_group_of(optim, param)
        assert group['lr'] == pytest.approx(lr * lr_mult) and group['weight_decay'] == wd

    check(model.backbone.bn1.weight, lr_mult=0.1, wd=0.0)  # a trainable BN in the backbone
    check(model.backbone.layer1[0].conv1.weight, lr_mult=0.1, wd=0.05)
    check(head.query_feat.weight, lr_mult=1.0, wd=0.0)  # nn.Embedding
    check(head.decoder.level_embed.weight, lr_mult=1.0, wd=0.0)
    check(head.pixel_decoder.level_encoding.weight, lr_mult=1.0, wd=0.0)
    check(head.decoder.post_norm.weight, lr_mult=1.0, wd=0.0)  # LayerNorm
    check(head.pixel_decoder.lateral_convs[0].gn.weight, lr_mult=1.0, wd=0.0)  # GroupNorm
    check(head.decoder.cls_embed.bias, lr_mult=1.0, wd=0.05)  # biases keep the decay
    n_params = sum(1 for p in model.parameters() if p.requires_grad)
    assert sum(len(g['params']) for g in optim.param_groups) == n_params


@pytest.mark.slow
def test_swin_norms_and_bias_tables_are_not_decayed():
    model, optim, lr = groups(SWIN_L)
    stage = model.backbone.stages[0].blocks[0]
    table = stage.attn.w_msa.relative_position_bias_table
    for param, wd in ((table, 0.0), (stage.norm1.weight, 0.0), (stage.ffn.layers[0][0].weight,
                                                                  0.05)):
        group = param_group_of(optim, param)
        assert group['lr'] == pytest.approx(lr * 0.1) and group['weight_decay'] == wd


def test_an_unknown_paramwise_key_is_an_error():
    cfg = Config.fromfile(SHAPES_M2F)
    cfg.model.backbone.init_cfg = None
    cfg.optim_wrapper.paramwise_cfg.custom_keys = dict(query_embed=dict(decay_mult=0.0))
    with pytest.raises(KeyError, match='custom_keys'):
        build_optim_wrapper(MODELS.build(cfg.model), cfg.optim_wrapper)


@pytest.mark.parametrize('path', sorted(glob.glob('configs/mask2former/*.py') +
                                        glob.glob('configs/oneformer/*.py')))
def test_mask2former_clips_at_0_01_and_oneformer_never_clips(path):
    clip = Config.fromfile(path).optim_wrapper.get('clip_grad')
    if '/oneformer/' in path:
        assert clip is None, 'the official OneFormer train_net.py never clips'
    else:
        assert clip == dict(max_norm=0.01, norm_type=2)


def test_the_painter_scales_its_pretrained_encoder_and_keeps_its_no_decay_groups():
    path = 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'
    model, optim, lr = groups(path)
    enc = Config.fromfile(path).encoder_lr / lr  # the encoder at 1e-4, the heads at 1e-2
    assert enc == pytest.approx(1 / 100)
    block = model.backbone.blocks[0]
    for param, lr_mult, wd in (
            (block.attn.qkv.weight, enc, 0.05), (block.attn.qkv.bias, enc, 0.0),
            (block.norm1.weight, enc, 0.0), (model.backbone.pos_embed, enc, 0.0),
            # The painter's own tokens are not pre-trained: the decoder's rate.
            (model.backbone.mask_token, 1.0, 0.05), (model.backbone.type_token_ins, 1.0, 0.05),
            (model.backbone.segment_token_y, 1.0, 0.05),
            (model.decode_head.decoder_embed.weight, 1.0, 0.05),
            (model.decode_head.decoder_embed.bias, 1.0, 0.0)):
        group = param_group_of(optim, param)
        assert group['lr'] == pytest.approx(lr * lr_mult) and group['weight_decay'] == wd
