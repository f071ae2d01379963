"""OneFormer checkpoints -> unibench :class:`~unibench.models.segmentors.OneFormer` weights.

Sources (key tables: ../shared/reviews/oneformer-fidelity.md section 2.2; docs/fidelity.md):

* ``official``: SHI-Labs/OneFormer ``.pth`` releases (detectron2 names: ``backbone.*``,
  ``sem_seg_head.pixel_decoder.*``, ``sem_seg_head.predictor.*`` incl. ``class_transformer`` and
  ``class_input_proj``, top-level ``task_mlp.*``; training parts ``text_encoder.*``,
  ``text_projector.*``, ``prompt_ctx.*``).
* ``hf``: transformers' ``OneFormerForUniversalSegmentation`` (``shi-labs/oneformer_*``, converted
  by transformers with ``is_training=False``: no text mapper).

Beyond Mask2Former's rules (:mod:`unibench.convert.mask2former`): the task MLP, the query-init
DETR decoder (``self_attn`` -> ``norms.0``, cross -> ``norms.1``, FFN -> ``norms.2``, mmdet's
``DetrTransformerDecoderLayer`` order) and its input projection. The inference checkpoint has no
text mapper: the official training-only tensors are dropped by name, and so is the contrastive
loss's ``logit_scale`` (unibench builds neither without ``train_cfg``).
"""
from typing import Dict, List

from mmengine.config import Config
from torch import Tensor

from unibench.convert import common
from unibench.convert.common import QKV, Rule
from unibench.convert.mask2former import (
    DEC,
    DECODER_OFFICIAL,
    PIXEL_DECODER_HF,
    PIXEL_DECODER_OFFICIAL,
    H,
    backbone_rules,
    finish,
    hf_state,
)

QI = H + 'query_init.'


def _query_init_layer(prefix: str) -> List[Rule]:
    """The DETR decoder layer of the query init, identical in the official code and HF."""
    layer = prefix + r'layers\.(\d+)\.'
    return [
        (layer + r'self_attn\.(.+)', QI + r'layers.\1.self_attn.attn.\2'),
        (layer + r'multihead_attn\.(.+)', QI + r'layers.\1.cross_attn.attn.\2'),
        (layer + r'linear1\.(.+)', QI + r'layers.\1.ffn.layers.0.0.\2'),
        (layer + r'linear2\.(.+)', QI + r'layers.\1.ffn.layers.1.\2'),
        (layer + r'norm1\.(.+)', QI + r'layers.\1.norms.0.\2'),
        (layer + r'norm2\.(.+)', QI + r'layers.\1.norms.1.\2'),
        (layer + r'norm3\.(.+)', QI + r'layers.\1.norms.2.\2'),
        (prefix + r'norm\.(.+)', QI + r'post_norm.\1'),
    ]


def _task_mlp(match) -> str:
    return f'{H}task_mlp.{2 * int(match.group(1))}.{match.group(2)}'


_P = r'sem_seg_head\.predictor\.'
ONEFORMER_OFFICIAL: List[Rule] = [
    *_query_init_layer(_P + r'class_transformer\.decoder\.'),
    (_P + r'class_input_proj\.(.+)', H + r'query_init_proj.\1'),
    (r'task_mlp\.layers\.(\d)\.(.+)', _task_mlp),
    # Training only: the text mapper and the contrastive loss's temperature; preprocessing
    # constants (the config's data_preprocessor has them).
    (r'(text_encoder|text_projector|prompt_ctx)\..+', None),
    (r'criterion\..+', None), (r'pixel_(mean|std)', None),
]

_T = r'transformer_module\.'
_D = _T + r'decoder\.'
ONEFORMER_HF: List[Rule] = [
    *_query_init_layer(_D + r'query_transformer\.decoder\.'),
    (_D + r'query_input_projection\.(.+)', H + r'query_init_proj.\1'),
    (r'task_encoder\.task_mlp\.layers\.(\d)\.0\.(.+)', _task_mlp),
    (_T + r'queries_embedder\.weight', H + 'query_embed.weight'),
    (_T + r'level_embed\.weight', DEC + 'level_embed.weight'),
    (_T + r'input_projections\.(\d)\.(.+)', DEC + r'input_projs.\1.\2'),
    (_D + r'layers\.(\d+)\.cross_attn\.multihead_attn\.(.+)',
     DEC + r'layers.\1.cross_attn.attn.\2'),
    (_D + r'layers\.(\d+)\.cross_attn\.norm\.(.+)', DEC + r'layers.\1.norms.0.\2'),
    (_D + r'layers\.(\d+)\.self_attn\.self_attn\.([qkv])_proj\.(weight|bias)',
     DEC + r'layers.\1.self_attn.attn.in_proj_\3' + QKV + r'\2'),
    (_D + r'layers\.(\d+)\.self_attn\.self_attn\.out_proj\.(.+)',
     DEC + r'layers.\1.self_attn.attn.out_proj.\2'),
    (_D + r'layers\.(\d+)\.self_attn\.norm\.(.+)', DEC + r'layers.\1.norms.1.\2'),
    (_D + r'layers\.(\d+)\.ffn\.linear1\.(.+)', DEC + r'layers.\1.ffn.layers.0.0.\2'),
    (_D + r'layers\.(\d+)\.ffn\.linear2\.(.+)', DEC + r'layers.\1.ffn.layers.1.\2'),
    (_D + r'layers\.(\d+)\.ffn\.norm\.(.+)', DEC + r'layers.\1.norms.2.\2'),
    (_D + r'decoder_norm\.(.+)', DEC + r'post_norm.\1'),
    (_D + r'class_embed\.(.+)', DEC + r'cls_embed.\1'),
    (_D + r'mask_embed\.layers\.(\d)\.0\.(.+)',
     lambda m: f'{DEC}mask_embed.{2 * int(m.group(1))}.{m.group(2)}'),
    # Training only (a training-mode HF model): text mapper and criterion.
    (r'text_mapper\..+', None), (r'criterion\..+', None),
]


def from_official(state: Dict[str, Tensor], *, cfg: Config) -> Dict[str, Tensor]:
    """A SHI-Labs/OneFormer checkpoint (detectron2 names) in unibench names."""
    rules = (backbone_rules(cfg, source='official') + PIXEL_DECODER_OFFICIAL + DECODER_OFFICIAL
             + ONEFORMER_OFFICIAL)
    return finish(common.rename(state, rules), cfg)


def from_hf(state: Dict[str, Tensor], *, cfg: Config) -> Dict[str, Tensor]:
    """A transformers ``OneFormerForUniversalSegmentation`` state dict in unibench names."""
    rules = backbone_rules(cfg, source='hf') + PIXEL_DECODER_HF + ONEFORMER_HF
    return finish(common.rename(hf_state(state), rules), cfg)
