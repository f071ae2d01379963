"""SegGPT checkpoints -> unibench :class:`~unibench.models.segmentors.painter.Painter` weights.

Two sources (docs/fidelity.md, SegGPT):

* ``official``: ``seggpt_vit_large.pth`` of baaivision/Painter (SegGPT/SegGPT_inference,
  ``models_seggpt.py`` ``SegGPT``; the file holds ``{'model': state}``). unibench kept the
  official parameter names (``patch_embed.proj``, ``blocks.i.attn.rel_pos_h``, ``mask_token``,
  ``segment_token_x``, ``type_token_cls``, ...), so encoder tensors only gain the prefix
  ``backbone.`` and the decoder's (``decoder_embed``, ``decoder_pred.{0,1,3}``) ``decode_head.``.
* ``hf``: transformers' ``SegGptForImageSegmentation`` (``BAAI/seggpt-vit-large``), whose weights
  were renamed from the official file (transformers ``convert_seggpt_to_hf.py``). A pure rename:
  same shapes, no fused or split tensors (qkv stays fused on both sides).

Both functions return unibench-named tensors; the checkpoint framework (:mod:`unibench.convert`)
checks them against the built model. A source key this module does not know is passed through
under its own name, so the coverage check lists it as unexpected instead of dropping it.
"""
import re
from typing import Dict, Mapping

from torch import Tensor

_OFFICIAL_ENCODER = ('patch_embed.', 'blocks.', 'norm.', 'pos_embed', 'mask_token',
                     'segment_token_x', 'segment_token_y', 'type_token_cls', 'type_token_ins')
_OFFICIAL_DECODER = ('decoder_embed.', 'decoder_pred.')

# HF (without the leading ``model.`` of SegGptForImageSegmentation) -> unibench.
_HF_FIXED = {
    'embeddings.patch_embeddings.projection.weight': 'backbone.patch_embed.proj.weight',
    'embeddings.patch_embeddings.projection.bias': 'backbone.patch_embed.proj.bias',
    'embeddings.mask_token': 'backbone.mask_token',
    'embeddings.segment_token_input': 'backbone.segment_token_x',  # image canvas stream
    'embeddings.segment_token_prompt': 'backbone.segment_token_y',  # target canvas stream
    'embeddings.type_token_semantic': 'backbone.type_token_cls',
    'embeddings.type_token_instance': 'backbone.type_token_ins',
    'embeddings.position_embeddings': 'backbone.pos_embed',
    'encoder.layernorm.weight': 'backbone.norm.weight',
    'encoder.layernorm.bias': 'backbone.norm.bias',
}
_HF_LAYER = re.compile(r'^encoder\.layers\.(\d+)\.(.+)$')
_HF_LAYER_PARTS = (  # (HF prefix inside a layer, unibench prefix inside a block)
    ('layernorm_before.', 'norm1.'),
    ('layernorm_after.', 'norm2.'),
    ('attention.qkv.', 'attn.qkv.'),
    ('attention.proj.', 'attn.proj.'),
    ('attention.rel_pos_h', 'attn.rel_pos_h'),
    ('attention.rel_pos_w', 'attn.rel_pos_w'),
    ('mlp.lin1.', 'mlp.fc1.'),
    ('mlp.lin2.', 'mlp.fc2.'),
)
_HF_DECODER_PARTS = (  # HF SegGptDecoder -> PainterHead (nn.Sequential indices)
    ('decoder.decoder_embed.', 'decode_head.decoder_embed.'),
    ('decoder.decoder_pred.conv.', 'decode_head.decoder_pred.0.'),
    ('decoder.decoder_pred.layernorm.', 'decode_head.decoder_pred.1.'),
    ('decoder.decoder_pred.head.', 'decode_head.decoder_pred.3.'),
)


def from_official(state: Mapping[str, Tensor], *, cfg) -> Dict[str, Tensor]:
    """Official SegGPT state dict (or the ``{'model': ...}`` file) -> unibench names."""
    state = _unwrap(state)
    out = {}
    for key, value in state.items():
        key = _strip(key, 'module.')
        if key.startswith(_OFFICIAL_DECODER):
            out['decode_head.' + key] = value
        elif key.startswith(_OFFICIAL_ENCODER):
            out['backbone.' + key] = value
        else:
            out[key] = value  # unknown: reported as unexpected by the coverage check
    return _fit_pos_embed(out, cfg)


def from_hf(state: Mapping[str, Tensor], *, cfg) -> Dict[str, Tensor]:
    """transformers ``SegGptForImageSegmentation`` (or ``SegGptModel``) state dict -> unibench
    names."""
    out = {}
    for key, value in _unwrap(state).items():
        new = _hf_key(key)
        out[new if new is not None else key] = value
    return _fit_pos_embed(out, cfg)


def to_official(state: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """unibench Painter weights -> official names (the inverse of :func:`from_official`)."""
    out = {}
    for key, value in state.items():
        for prefix in ('backbone.', 'decode_head.'):
            if key.startswith(prefix):
                out[key[len(prefix):]] = value
                break
        else:
            raise KeyError(f'to_official: {key!r} is neither backbone.* nor decode_head.*')
    return out


def _hf_key(key: str):
    key = _strip(key, 'model.')
    if key in _HF_FIXED:
        return _HF_FIXED[key]
    match = _HF_LAYER.match(key)
    if match:
        idx, rest = match.groups()
        for src, dst in _HF_LAYER_PARTS:
            if rest.startswith(src):
                return f'backbone.blocks.{idx}.{dst}{rest[len(src):]}'
        return None
    for src, dst in _HF_DECODER_PARTS:
        if key.startswith(src):
            return dst + key[len(src):]
    return None


def _unwrap(state: Mapping) -> Mapping[str, Tensor]:
    """The tensors of a training file (``{'model': ...}``) or a state dict."""
    for wrapper in ('model', 'state_dict'):
        if wrapper in state and isinstance(state[wrapper], Mapping):
            return state[wrapper]
    return state


def _strip(key: str, prefix: str) -> str:
    return key[len(prefix):] if key.startswith(prefix) else key


def _backbone_cfg(cfg) -> Mapping:
    model = cfg['model'] if 'model' in cfg else cfg
    return model['backbone']


def _fit_pos_embed(out: Dict[str, Tensor], cfg) -> Dict[str, Tensor]:
    """Both sources store the MAE table with its cls position (``(1, 1 + n * n, C)``); a config
    with ``pretrain_use_cls_token=False`` gets the table without it."""
    pos = out.get('backbone.pos_embed')
    if pos is None or _backbone_cfg(cfg).get('pretrain_use_cls_token', True):
        return out
    n = pos.shape[1]
    if _is_square(n - 1) and not _is_square(n):
        out['backbone.pos_embed'] = pos[:, 1:].contiguous()
    return out


def _is_square(n: int) -> bool:
    root = int(round(n**0.5))
    return root * root == n

