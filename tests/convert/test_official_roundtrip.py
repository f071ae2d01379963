"""The official (detectron2) converters, by round trip: a unibench model's random weights are
renamed to the official names by an independent spelling of the key tables (below, unibench ->
official, with the inverse value transforms), written as a detectron2 ``.pkl`` of numpy arrays,
and converted back by ``convert_checkpoint(..., source='official')``: every tensor must come
back exactly. No official weights are available offline; the names are those of
facebookresearch/Mask2Former and SHI-Labs/OneFormer (../shared/reviews/oneformer-fidelity.md
section 2.2)."""
import pickle
import re

import pytest
import torch
from mmengine.config import Config

from unibench.convert import build_inference_model, convert_checkpoint
from unibench.convert.common import class_permutation, swin_unfold_to_merge

PD, P = 'sem_seg_head.pixel_decoder.', 'sem_seg_head.predictor.'
TO_OFFICIAL = [
    # ConvNeXt through timm (OneFormer's D2ConvNeXt: facebookresearch/ConvNeXt names, norm0..3)
    (r'backbone\.out_norms\.(\d)\.(.+)', r'backbone.norm\1.\2'),
    (r'backbone\.model\.stem_(\d)\.(.+)', r'backbone.downsample_layers.0.\1.\2'),
    (r'backbone\.model\.stages_(\d)\.downsample\.(\d)\.(.+)',
     r'backbone.downsample_layers.\1.\2.\3'),
    (r'backbone\.model\.stages_(\d)\.blocks\.(\d+)\.conv_dw\.(.+)',
     r'backbone.stages.\1.\2.dwconv.\3'),
    (r'backbone\.model\.stages_(\d)\.blocks\.(\d+)\.mlp\.fc(\d)\.(.+)',
     lambda m: f'backbone.stages.{m[1]}.{m[2]}.pwconv{m[3]}.{m[4]}'),
    (r'backbone\.model\.stages_(\d)\.blocks\.(\d+)\.(norm|gamma)(.*)',
     r'backbone.stages.\1.\2.\3\4'),
    # Swin (D2SwinTransformer)
    (r'backbone\.patch_embed\.projection\.(.+)', r'backbone.patch_embed.proj.\1'),
    (r'backbone\.stages\.(\d+)\.blocks\.(\d+)\.attn\.w_msa\.(.+)',
     r'backbone.layers.\1.blocks.\2.attn.\3'),
    (r'backbone\.stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.0\.0\.(.+)',
     r'backbone.layers.\1.blocks.\2.mlp.fc1.\3'),
    (r'backbone\.stages\.(\d+)\.blocks\.(\d+)\.ffn\.layers\.1\.(.+)',
     r'backbone.layers.\1.blocks.\2.mlp.fc2.\3'),
    (r'backbone\.stages\.(\d+)\.(.+)', r'backbone.layers.\1.\2'),
    # ResNet (detectron2 names, res2..res5)
    (r'backbone\.conv1\.weight', 'backbone.stem.conv1.weight'),
    (r'backbone\.bn1\.(.+)', r'backbone.stem.conv1.norm.\1'),
    (r'backbone\.layer(\d)\.(\d+)\.conv(\d)\.weight',
     lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.conv{m[3]}.weight'),
    (r'backbone\.layer(\d)\.(\d+)\.bn(\d)\.(.+)',
     lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.conv{m[3]}.norm.{m[4]}'),
    (r'backbone\.layer(\d)\.(\d+)\.downsample\.0\.weight',
     lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.shortcut.weight'),
    (r'backbone\.layer(\d)\.(\d+)\.downsample\.1\.(.+)',
     lambda m: f'backbone.res{int(m[1]) + 1}.{m[2]}.shortcut.norm.{m[3]}'),
    # pixel decoder
    (r'panoptic_head\.pixel_decoder\.input_convs\.(\d)\.conv\.(.+)', PD + r'input_proj.\1.0.\2'),
    (r'panoptic_head\.pixel_decoder\.input_convs\.(\d)\.gn\.(.+)', PD + r'input_proj.\1.1.\2'),
    (r'panoptic_head\.pixel_decoder\.level_encoding\.weight', PD + 'transformer.level_embed'),
    (r'panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.self_attn\.(.+)',
     PD + r'transformer.encoder.layers.\1.self_attn.\2'),
    (r'panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.norms\.0\.(.+)',
     PD + r'transformer.encoder.layers.\1.norm1.\2'),
    (r'panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.norms\.1\.(.+)',
     PD + r'transformer.encoder.layers.\1.norm2.\2'),
    (r'panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.ffn\.layers\.0\.0\.(.+)',
     PD + r'transformer.encoder.layers.\1.linear1.\2'),
    (r'panoptic_head\.pixel_decoder\.encoder\.layers\.(\d+)\.ffn\.layers\.1\.(.+)',
     PD + r'transformer.encoder.layers.\1.linear2.\2'),
    (r'panoptic_head\.pixel_decoder\.lateral_convs\.0\.conv\.weight', PD + 'adapter_1.weight'),
    (r'panoptic_head\.pixel_decoder\.lateral_convs\.0\.gn\.(.+)', PD + r'adapter_1.norm.\1'),
    (r'panoptic_head\.pixel_decoder\.output_convs\.0\.conv\.weight', PD + 'layer_1.weight'),
    (r'panoptic_head\.pixel_decoder\.output_convs\.0\.gn\.(.+)', PD + r'layer_1.norm.\1'),
    (r'panoptic_head\.pixel_decoder\.mask_feature\.(.+)', PD + r'mask_features.\1'),
    # masked-attention decoder
    (r'panoptic_head\.decoder\.layers\.(\d+)\.cross_attn\.attn\.(.+)',
     P + r'transformer_cross_attention_layers.\1.multihead_attn.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.norms\.0\.(.+)',
     P + r'transformer_cross_attention_layers.\1.norm.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.self_attn\.attn\.(.+)',
     P + r'transformer_self_attention_layers.\1.self_attn.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.norms\.1\.(.+)',
     P + r'transformer_self_attention_layers.\1.norm.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.ffn\.layers\.0\.0\.(.+)',
     P + r'transformer_ffn_layers.\1.linear1.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.ffn\.layers\.1\.(.+)',
     P + r'transformer_ffn_layers.\1.linear2.\2'),
    (r'panoptic_head\.decoder\.layers\.(\d+)\.norms\.2\.(.+)',
     P + r'transformer_ffn_layers.\1.norm.\2'),
    (r'panoptic_head\.decoder\.post_norm\.(.+)', P + r'decoder_norm.\1'),
    (r'panoptic_head\.decoder\.cls_embed\.(.+)', P + r'class_embed.\1'),
    (r'panoptic_head\.decoder\.mask_embed\.(\d)\.(.+)',
     lambda m: f'{P}mask_embed.layers.{int(m[1]) // 2}.{m[2]}'),
    (r'panoptic_head\.decoder\.level_embed\.weight', P + 'level_embed.weight'),
    (r'panoptic_head\.(query_embed|query_feat)\.weight', P + r'\1.weight'),
    # OneFormer
    (r'panoptic_head\.task_mlp\.(\d)\.(.+)', lambda m: f'task_mlp.layers.{int(m[1]) // 2}.{m[2]}'),
    (r'panoptic_head\.query_init\.layers\.(\d+)\.self_attn\.attn\.(.+)',
     P + r'class_transformer.decoder.layers.\1.self_attn.\2'),
    (r'panoptic_head\.query_init\.layers\.(\d+)\.cross_attn\.attn\.(.+)',
     P + r'class_transformer.decoder.layers.\1.multihead_attn.\2'),
    (r'panoptic_head\.query_init\.layers\.(\d+)\.ffn\.layers\.0\.0\.(.+)',
     P + r'class_transformer.decoder.layers.\1.linear1.\2'),
    (r'panoptic_head\.query_init\.layers\.(\d+)\.ffn\.layers\.1\.(.+)',
     P + r'class_transformer.decoder.layers.\1.linear2.\2'),
    (r'panoptic_head\.query_init\.layers\.(\d+)\.norms\.(\d)\.(.+)',
     lambda m: f'{P}class_transformer.decoder.layers.{m[1]}.norm{int(m[2]) + 1}.{m[3]}'),
    (r'panoptic_head\.query_init\.post_norm\.(.+)', P + r'class_transformer.decoder.norm.\1'),
    (r'panoptic_head\.query_init_proj\.(.+)', P + r'class_input_proj.\1'),
]
# Tensors the official files hold that an inference model has no use for.
EXTRAS = dict(pixel_mean=torch.zeros(3, 1, 1), pixel_std=torch.ones(3, 1, 1),
              **{'criterion.empty_weight': torch.ones(151)})
ONEFORMER_EXTRAS = {'text_encoder.token_embedding.weight': torch.zeros(10, 4),
                    'text_projector.layers.0.weight': torch.zeros(4, 4),
                    'prompt_ctx.weight': torch.zeros(2, 4), 'criterion.logit_scale': torch.ones(())}


def to_official(state, cfg):
    rules = [(re.compile(p), r) for p, r in TO_OFFICIAL]
    order = torch.tensor(class_permutation(cfg))
    out = {}
    for key, value in state.items():
        if key.endswith('num_batches_tracked'):
            continue  # detectron2 FrozenBN has no counter
        if '.downsample.reduction.' in key or '.downsample.norm.' in key:
            value = swin_unfold_to_merge(value)
        if '.cls_embed.' in key:
            value = torch.empty_like(value).index_copy_(0, order, value)  # rows back to native
        for pattern, repl in rules:
            match = pattern.fullmatch(key)
            if match:
                key = repl(match) if callable(repl) else match.expand(repl)
                break
        out[key] = value
    return out


def tiny_cfg(family: str, backbone: str) -> Config:
    cfg = Config.fromfile(f'configs/_base_/models/{family.lower()}_tiny.py')
    cfg.model.panoptic_head.num_things_classes = 100
    cfg.model.panoptic_head.num_stuff_classes = 50
    if backbone == 'swin':
        cfg.model.backbone = dict(
            type='mmdet.SwinTransformer', embed_dims=16, depths=[2, 2, 2, 2],
            num_heads=[1, 2, 2, 4], window_size=4, out_indices=(0, 1, 2, 3), init_cfg=None)
    elif backbone == 'convnext':
        cfg.model.backbone = dict(type='TimmBackbone', model_name='test_convnext', out_norm=True,
                                  init_cfg=None)
    cfg.test_dataloader = dict(dataset=dict(type='ADE20KPanopticDataset'))
    return cfg


@pytest.mark.parametrize('family,backbone', [('Mask2Former', 'swin'), ('OneFormer', 'swin'),
                                             ('Mask2Former', 'resnet'),
                                             ('OneFormer', 'convnext')])
def test_official_names_round_trip(family, backbone, tmp_path):
    cfg = tiny_cfg(family, backbone)
    torch.manual_seed(0)
    model = build_inference_model(cfg)
    state = {k: v + torch.rand_like(v.float()).to(v.dtype) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}  # non-trivial norms and biases
    official = {**to_official(state, cfg), **EXTRAS,
                **(ONEFORMER_EXTRAS if family == 'OneFormer' else {})}
    assert not any(k.startswith(('panoptic_head.', 'backbone.model.', 'backbone.out_norms.'))
                   for k in official), 'a key left unmapped'
    src = tmp_path / 'model_final.pkl'
    with open(src, 'wb') as f:  # detectron2's format: numpy arrays under "model"
        pickle.dump(dict(model={k: v.numpy() for k, v in official.items()},
                         __author__='test'), f)
    converted = convert_checkpoint(str(src), config=cfg, source='official')
    assert converted.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(converted[key], value), key
