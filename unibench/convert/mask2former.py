"""Mask2Former checkpoints -> unibench :class:`~unibench.models.segmentors.Mask2Former` weights.

Sources:

* ``official``: facebookresearch/Mask2Former model-zoo ``.pkl`` files (detectron2: ``backbone.*``
  D2SwinTransformer or ResNet, ``sem_seg_head.pixel_decoder.*`` MSDeformAttnPixelDecoder,
  ``sem_seg_head.predictor.*`` MultiScaleMaskedTransformerDecoder).
* ``hf``: transformers' ``Mask2FormerForUniversalSegmentation`` (``facebook/mask2former-*``,
  Swin backbones), transformers 4.x or 5 names.

What changes besides names: Swin's q/k/v (split in HF) are fused, the patch-merging columns are
reordered to mmdet's ``nn.Unfold`` order, the decoder's self-attention q/k/v (split in HF) are
fused into ``in_proj``, and the classifier rows are permuted to unibench's things-first order
("no object" stays last). The pixel decoder's levels are res5, res4, res3 in all three code bases
(``input_proj.0`` is res5), so they keep their indices. Layer norms of the masked-attention layers
are renamed by role: cross-attention -> ``norms.0``, self-attention -> ``norms.1``, FFN ->
``norms.2`` (mmdet's ``Mask2FormerTransformerDecoderLayer`` order).
"""
from typing import Dict, List, Mapping

from mmengine.config import Config
from torch import Tensor

from unibench.convert import common
from unibench.convert.common import QKV, Rule

H = 'panoptic_head.'
PD = H + 'pixel_decoder.'
DEC = H + 'decoder.'


def _index2(match) -> str:
    return str(2 * int(match.group(1)))


# Pixel decoder (official ``sem_seg_head.pixel_decoder.`` / HF ``pixel_level_module.decoder.``).
PIXEL_DECODER_OFFICIAL: List[Rule] = [
    (r'sem_seg_head\.pixel_decoder\.input_proj\.(\d)\.0\.(.+)', PD + r'input_convs.\1.conv.\2'),
    (r'sem_seg_head\.pixel_decoder\.input_proj\.(\d)\.1\.(.+)', PD + r'input_convs.\1.gn.\2'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.level_embed', PD + 'level_encoding.weight'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.self_attn\.(.+)',
     PD + r'encoder.layers.\1.self_attn.\2'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.norm1\.(.+)',
     PD + r'encoder.layers.\1.norms.0.\2'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.norm2\.(.+)',
     PD + r'encoder.layers.\1.norms.1.\2'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.linear1\.(.+)',
     PD + r'encoder.layers.\1.ffn.layers.0.0.\2'),
    (r'sem_seg_head\.pixel_decoder\.transformer\.encoder\.layers\.(\d+)\.linear2\.(.+)',
     PD + r'encoder.layers.\1.ffn.layers.1.\2'),
    (r'sem_seg_head\.pixel_decoder\.adapter_(\d)\.weight',
     lambda m: f'{PD}lateral_convs.{int(m.group(1)) - 1}.conv.weight'),
    (r'sem_seg_head\.pixel_decoder\.adapter_(\d)\.norm\.(.+)',
     lambda m: f'{PD}lateral_convs.{int(m.group(1)) - 1}.gn.{m.group(2)}'),
    (r'sem_seg_head\.pixel_decoder\.layer_(\d)\.weight',
     lambda m: f'{PD}output_convs.{int(m.group(1)) - 1}.conv.weight'),
    (r'sem_seg_head\.pixel_decoder\.layer_(\d)\.norm\.(.+)',
     lambda m: f'{PD}output_convs.{int(m.group(1)) - 1}.gn.{m.group(2)}'),
    (r'sem_seg_head\.pixel_decoder\.mask_features\.(.+)', PD + r'mask_feature.\1'),
]

_HPD = r'pixel_level_module\.decoder\.'
PIXEL_DECODER_HF: List[Rule] = [
    (_HPD + r'input_projections\.(\d)\.0\.(.+)', PD + r'input_convs.\1.conv.\2'),
    (_HPD + r'input_projections\.(\d)\.1\.(.+)', PD + r'input_convs.\1.gn.\2'),
    (_HPD + r'level_embed', PD + 'level_encoding.weight'),
    (_HPD + r'encoder\.layers\.(\d+)\.self_attn\.(.+)', PD + r'encoder.layers.\1.self_attn.\2'),
    (_HPD + r'encoder\.layers\.(\d+)\.self_attn_layer_norm\.(.+)',
     PD + r'encoder.layers.\1.norms.0.\2'),
    (_HPD + r'encoder\.layers\.(\d+)\.final_layer_norm\.(.+)',
     PD + r'encoder.layers.\1.norms.1.\2'),
    (_HPD + r'encoder\.layers\.(\d+)\.fc1\.(.+)', PD + r'encoder.layers.\1.ffn.layers.0.0.\2'),
    (_HPD + r'encoder\.layers\.(\d+)\.fc2\.(.+)', PD + r'encoder.layers.\1.ffn.layers.1.\2'),
    (_HPD + r'adapter_(\d)\.0\.weight',
     lambda m: f'{PD}lateral_convs.{int(m.group(1)) - 1}.conv.weight'),
    (_HPD + r'adapter_(\d)\.1\.(.+)',
     lambda m: f'{PD}lateral_convs.{int(m.group(1)) - 1}.gn.{m.group(2)}'),
    (_HPD + r'layer_(\d)\.0\.weight',
     lambda m: f'{PD}output_convs.{int(m.group(1)) - 1}.conv.weight'),
    (_HPD + r'layer_(\d)\.1\.(.+)',
     lambda m: f'{PD}output_convs.{int(m.group(1)) - 1}.gn.{m.group(2)}'),
    (_HPD + r'mask_projection\.(.+)', PD + r'mask_feature.\1'),
]

# Masked-attention decoder, official (MultiScaleMaskedTransformerDecoder; OneFormer's copy has the
# same names).
_P = r'sem_seg_head\.predictor\.'
DECODER_OFFICIAL: List[Rule] = [
    (_P + r'transformer_cross_attention_layers\.(\d+)\.multihead_attn\.(.+)',
     DEC + r'layers.\1.cross_attn.attn.\2'),
    (_P + r'transformer_cross_attention_layers\.(\d+)\.norm\.(.+)', DEC + r'layers.\1.norms.0.\2'),
    (_P + r'transformer_self_attention_layers\.(\d+)\.self_attn\.(.+)',
     DEC + r'layers.\1.self_attn.attn.\2'),
    (_P + r'transformer_self_attention_layers\.(\d+)\.norm\.(.+)', DEC + r'layers.\1.norms.1.\2'),
    (_P + r'transformer_ffn_layers\.(\d+)\.linear1\.(.+)', DEC + r'layers.\1.ffn.layers.0.0.\2'),
    (_P + r'transformer_ffn_layers\.(\d+)\.linear2\.(.+)', DEC + r'layers.\1.ffn.layers.1.\2'),
    (_P + r'transformer_ffn_layers\.(\d+)\.norm\.(.+)', DEC + r'layers.\1.norms.2.\2'),
    (_P + r'decoder_norm\.(.+)', DEC + r'post_norm.\1'),
    (_P + r'class_embed\.(.+)', DEC + r'cls_embed.\1'),
    (_P + r'mask_embed\.layers\.(\d)\.(.+)',
     lambda m: f'{DEC}mask_embed.{_index2(m)}.{m.group(2)}'),
    (_P + r'level_embed\.weight', DEC + 'level_embed.weight'),
    (_P + r'input_proj\.(\d)\.(.+)', DEC + r'input_projs.\1.\2'),
    (_P + r'query_embed\.weight', H + 'query_embed.weight'),
]
MASK2FORMER_OFFICIAL: List[Rule] = [
    (_P + r'query_feat\.weight', H + 'query_feat.weight'),
    # Preprocessing constants (the config's data_preprocessor has them) and the loss's buffer.
    (r'pixel_(mean|std)', None), (r'criterion\..+', None),
]

_T = r'transformer_module\.'
MASK2FORMER_HF: List[Rule] = [
    (_T + r'queries_embedder\.weight', H + 'query_embed.weight'),
    (_T + r'queries_features\.weight', H + 'query_feat.weight'),
    (_T + r'level_embed\.weight', DEC + 'level_embed.weight'),
    (_T + r'input_projections\.(\d)\.(.+)', DEC + r'input_projs.\1.\2'),
    (_T + r'decoder\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)',
     DEC + r'layers.\1.self_attn.attn.in_proj_\3' + QKV + r'\2'),
    (_T + r'decoder\.layers\.(\d+)\.self_attn\.out_proj\.(.+)',
     DEC + r'layers.\1.self_attn.attn.out_proj.\2'),
    (_T + r'decoder\.layers\.(\d+)\.self_attn_layer_norm\.(.+)', DEC + r'layers.\1.norms.1.\2'),
    (_T + r'decoder\.layers\.(\d+)\.cross_attn\.(.+)', DEC + r'layers.\1.cross_attn.attn.\2'),
    (_T + r'decoder\.layers\.(\d+)\.cross_attn_layer_norm\.(.+)', DEC + r'layers.\1.norms.0.\2'),
    (_T + r'decoder\.layers\.(\d+)\.fc1\.(.+)', DEC + r'layers.\1.ffn.layers.0.0.\2'),
    (_T + r'decoder\.layers\.(\d+)\.fc2\.(.+)', DEC + r'layers.\1.ffn.layers.1.\2'),
    (_T + r'decoder\.layers\.(\d+)\.final_layer_norm\.(.+)', DEC + r'layers.\1.norms.2.\2'),
    (_T + r'decoder\.layernorm\.(.+)', DEC + r'post_norm.\1'),
    (_T + r'decoder\.mask_predictor\.mask_embedder\.(\d)\.0\.(.+)',
     lambda m: f'{DEC}mask_embed.{_index2(m)}.{m.group(2)}'),
    (r'class_predictor\.(.+)', DEC + r'cls_embed.\1'),
    (r'criterion\..+', None),  # the loss's class weights (unibench's are not persistent)
]


def backbone_rules(cfg: Config, *, source: str) -> List[Rule]:
    """The backbone's renaming rules for ``source`` ('official' or 'hf')."""
    kind = common.backbone_kind(cfg)
    if source == 'official':
        if kind == 'timm':
            return []  # converted as a whole in finish()
        return common.SWIN_OFFICIAL if kind == 'swin' else common.RESNET_OFFICIAL
    if kind != 'swin':
        raise ValueError('transformers releases of Mask2Former / OneFormer use Swin backbones; '
                         f'the config has {cfg.model.backbone.type}')
    return [(r'pixel_level_module\.encoder\.' + p, r) for p, r in common.SWIN_HF]


def finish(state: Dict[str, Tensor], cfg: Config) -> Dict[str, Tensor]:
    """The value transforms every source shares: q/k/v fusion, the Swin merge reorder and the
    classifier permutation."""
    state = common.fuse_qkv(state)
    if common.backbone_kind(cfg) == 'swin':
        common.reorder_swin_merging(state)
    elif common.backbone_kind(cfg) == 'timm':
        state = common.timm_backbone(state, cfg)
    common.permute_classes(state, cfg)
    return state


def hf_state(state: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """Drops the ``model.`` prefix and spells 4.x Swin names as transformers 5."""
    return {common.hf_swin_legacy(k[len('model.'):] if k.startswith('model.') else k): v
            for k, v in state.items()}


def from_official(state: Dict[str, Tensor], *, cfg: Config) -> Dict[str, Tensor]:
    """A Mask2Former model-zoo checkpoint (detectron2 names) in unibench names."""
    rules = (backbone_rules(cfg, source='official') + PIXEL_DECODER_OFFICIAL + DECODER_OFFICIAL
             + MASK2FORMER_OFFICIAL)
    return finish(common.rename(state, rules), cfg)


def from_hf(state: Dict[str, Tensor], *, cfg: Config) -> Dict[str, Tensor]:
    """A transformers ``Mask2FormerForUniversalSegmentation`` state dict in unibench names."""
    rules = backbone_rules(cfg, source='hf') + PIXEL_DECODER_HF + MASK2FORMER_HF
    return finish(common.rename(hf_state(state), rules), cfg)
