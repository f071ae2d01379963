"""Rules every query-model converter shares: key renaming, q/k/v fusion, the Swin patch-merging
reorder, detectron2 ResNet names, and the class-row permutation to unibench's label order.

A converter describes a source as an ordered list of ``(regex, replacement)`` rules applied to each
key (first match wins). A key that no rule matches keeps its name, so the coverage check of
:mod:`unibench.convert` reports it as unexpected: no tensor is dropped unless a rule says so.
"""
import re
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from torch import Tensor

Replacement = Union[None, str, Callable[[re.Match], str]]
Rule = Tuple[str, Replacement]
QKV = '#'  # marks a q / k / v piece: ``<fused key>#q``; fuse_qkv concatenates the three


def rename(state: Mapping[str, Tensor], rules: Sequence[Rule]) -> Dict[str, Tensor]:
    """Applies the first matching rule to every key.

    Args:
        state: Source tensors.
        rules: ``(pattern, replacement)``; ``re.fullmatch`` on the key. ``None`` drops the key (a
            tensor the target has no use for, e.g. a training-only criterion buffer); a string
            is an ``re`` template; a callable gets the match.

    Returns:
        Renamed tensors; unmatched keys are kept under their own names.
    """
    compiled = [(re.compile(p), r) for p, r in rules]
    out: Dict[str, Tensor] = {}
    for key, value in state.items():
        new: Optional[str] = key
        for pattern, repl in compiled:
            match = pattern.fullmatch(key)
            if match:
                new = None if repl is None else (repl(match) if callable(repl)
                                                 else match.expand(repl))
                break
        if new is None:
            continue
        if new in out:
            raise ValueError(f'two source keys map to {new!r} (the second is {key!r})')
        out[new] = value
    return out


def fuse_qkv(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Concatenates ``<key>#q``, ``<key>#k``, ``<key>#v`` into ``<key>`` (q, k, v order along dim
    0, as ``nn.MultiheadAttention.in_proj_*`` and Swin's ``qkv`` pack them)."""
    pieces: Dict[str, Dict[str, Tensor]] = {}
    out = {}
    for key, value in state.items():
        if QKV in key:
            stem, part = key.rsplit(QKV, 1)
            pieces.setdefault(stem, {})[part] = value
        else:
            out[key] = value
    for stem, parts in pieces.items():
        if sorted(parts) != ['k', 'q', 'v']:
            raise ValueError(f'{stem}: q/k/v projections incomplete in the source '
                             f'(have {sorted(parts)})')
        out[stem] = torch.cat([parts['q'], parts['k'], parts['v']], dim=0)
    return out


def split_qkv(value: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The inverse of :func:`fuse_qkv` for one tensor (q, k, v thirds along dim 0)."""
    if value.shape[0] % 3:
        raise ValueError(f'a fused q/k/v tensor needs 3 * C rows, got {tuple(value.shape)}')
    return tuple(value.chunk(3, dim=0))


# Swin patch merging: the official (and HF) code concatenates the 2 x 2 neighbours as
# [x(0,0), x(1,0), x(0,1), x(1,1)] along channels, block-major (k * C + c); mmdet's PatchMerging
# uses nn.Unfold, which is channel-major (c * 4 + k) and visits (0,0), (0,1), (1,0), (1,1). The
# merged linear layer and its LayerNorm therefore see their input columns permuted.
_UNFOLD_ORDER = [0, 2, 1, 3]


def swin_merge_to_unfold(value: Tensor) -> Tensor:
    """Reorders a patch-merging ``reduction.weight`` ``(C_out, 4C)`` or ``norm`` ``(4C,)`` from
    the official concatenation order to mmdet's ``nn.Unfold`` order."""
    if value.dim() == 2:
        out_ch, in_ch = value.shape
        return value.reshape(out_ch, 4, in_ch // 4)[:, _UNFOLD_ORDER].transpose(1, 2).reshape(
            out_ch, in_ch)
    return value.reshape(4, -1)[_UNFOLD_ORDER].transpose(0, 1).reshape(-1)


def swin_unfold_to_merge(value: Tensor) -> Tensor:
    """The inverse of :func:`swin_merge_to_unfold` (mmdet -> official order)."""
    if value.dim() == 2:
        out_ch, in_ch = value.shape
        return value.reshape(out_ch, in_ch // 4, 4).transpose(1, 2)[:, _UNFOLD_ORDER].reshape(
            out_ch, in_ch)
    return value.reshape(-1, 4).transpose(0, 1)[_UNFOLD_ORDER].reshape(-1)


def reorder_swin_merging(state: Dict[str, Tensor], *, prefix: str = 'backbone.') -> None:
    """Applies :func:`swin_merge_to_unfold` in place to every unibench patch-merging tensor."""
    pattern = re.compile(re.escape(prefix) + r'stages\.\d+\.downsample\.(reduction\.weight|'
                         r'norm\.weight|norm\.bias)')
    for key in [k for k in state if pattern.fullmatch(k)]:
        state[key] = swin_merge_to_unfold(state[key])


def _layer(match: re.Match, group: int = 1) -> str:
    return str(int(match.group(group)) - 1)


# detectron2 Swin (D2SwinTransformer, used by Mask2Former and OneFormer) -> mmdet SwinTransformer;
# the names of mmdet's own swin_converter. relative_position_index is a buffer the model builds.
SWIN_OFFICIAL: List[Rule] = [
    (r'backbone\.patch_embed\.proj\.(.+)', r'backbone.patch_embed.projection.\1'),
    (r'backbone\.patch_embed\.norm\.(.+)', r'backbone.patch_embed.norm.\1'),
    (r'backbone\.layers\.(\d+)\.blocks\.(\d+)\.attn\.relative_position_index', None),
    (r'backbone\.layers\.(\d+)\.blocks\.(\d+)\.attn\.(.+)',
     r'backbone.stages.\1.blocks.\2.attn.w_msa.\3'),
    (r'backbone\.layers\.(\d+)\.blocks\.(\d+)\.mlp\.fc1\.(.+)',
     r'backbone.stages.\1.blocks.\2.ffn.layers.0.0.\3'),
    (r'backbone\.layers\.(\d+)\.blocks\.(\d+)\.mlp\.fc2\.(.+)',
     r'backbone.stages.\1.blocks.\2.ffn.layers.1.\3'),
    (r'backbone\.layers\.(\d+)\.blocks\.(\d+)\.(norm[12])\.(.+)',
     r'backbone.stages.\1.blocks.\2.\3.\4'),
    (r'backbone\.layers\.(\d+)\.downsample\.(.+)', r'backbone.stages.\1.downsample.\2'),
    (r'backbone\.(norm\d)\.(.+)', r'backbone.\1.\2'),
]

# transformers' Swin (SwinBackbone; 4.x names are normalised first by hf_swin_legacy) -> mmdet.
_HFSW = r'(?:swin\.)?'  # transformers 5 nests the backbone's modules under ``swin.``
_BLOCK = _HFSW + r'encoder\.layers\.(\d+)\.blocks\.(\d+)\.'
SWIN_HF: List[Rule] = [
    (_HFSW + r'embeddings\.patch_embeddings\.projection\.(.+)',
     r'backbone.patch_embed.projection.\1'),
    (_HFSW + r'embeddings\.norm\.(.+)', r'backbone.patch_embed.norm.\1'),
    (_BLOCK + r'layernorm_before\.(.+)', r'backbone.stages.\1.blocks.\2.norm1.\3'),
    (_BLOCK + r'layernorm_after\.(.+)', r'backbone.stages.\1.blocks.\2.norm2.\3'),
    (_BLOCK + r'attention\.([qkv])_proj\.(weight|bias)',
     r'backbone.stages.\1.blocks.\2.attn.w_msa.qkv.\4' + QKV + r'\3'),
    (_BLOCK + r'attention\.o_proj\.(.+)', r'backbone.stages.\1.blocks.\2.attn.w_msa.proj.\3'),
    (_BLOCK + r'attention\.relative_position_bias\.relative_position_bias_table',
     r'backbone.stages.\1.blocks.\2.attn.w_msa.relative_position_bias_table'),
    (_BLOCK + r'attention\.relative_position_bias\.relative_position_index', None),
    (_BLOCK + r'attention\.relative_position_index', None),
    (_BLOCK + r'mlp\.fc1\.(.+)', r'backbone.stages.\1.blocks.\2.ffn.layers.0.0.\3'),
    (_BLOCK + r'mlp\.fc2\.(.+)', r'backbone.stages.\1.blocks.\2.ffn.layers.1.\3'),
    (_HFSW + r'encoder\.layers\.(\d+)\.downsample\.(.+)', r'backbone.stages.\1.downsample.\2'),
    (r'hidden_states_norms\.stage(\d)\.(.+)', lambda m: f'backbone.norm{_layer(m)}.{m.group(2)}'),
    # SwinModel's final LayerNorm: the backbone returns hidden_states_norms outputs instead.
    (_HFSW + r'layernorm\.(weight|bias)', None),
]

# transformers 4.x Swin names (the hub files) -> transformers 5 names.
_HF_SWIN_LEGACY = [('attention.self.query.', 'attention.q_proj.'),
                   ('attention.self.key.', 'attention.k_proj.'),
                   ('attention.self.value.', 'attention.v_proj.'),
                   ('attention.self.relative_position_bias_table',
                    'attention.relative_position_bias.relative_position_bias_table'),
                   ('attention.self.relative_position_index', 'attention.relative_position_index'),
                   ('attention.output.dense.', 'attention.o_proj.'),
                   ('intermediate.dense.', 'mlp.fc1.'), ('output.dense.', 'mlp.fc2.')]


def hf_swin_legacy(key: str) -> str:
    """A transformers 4.x Swin parameter name in transformers 5 spelling (identity otherwise)."""
    if '.blocks.' not in key:
        return key
    for old, new in _HF_SWIN_LEGACY:
        if old in key:
            return key.replace(old, new)
    return key


# detectron2 ResNet (FrozenBN, STRIDE_IN_1X1 False = mmdet 'pytorch' style) -> mmdet ResNet.
RESNET_OFFICIAL: List[Rule] = [
    (r'backbone\.stem\.conv1\.weight', r'backbone.conv1.weight'),
    (r'backbone\.stem\.conv1\.norm\.(.+)', r'backbone.bn1.\1'),
    (r'backbone\.res(\d)\.(\d+)\.conv(\d)\.weight',
     lambda m: f'backbone.layer{_layer(m)}.{m.group(2)}.conv{m.group(3)}.weight'),
    (r'backbone\.res(\d)\.(\d+)\.conv(\d)\.norm\.(.+)',
     lambda m: f'backbone.layer{_layer(m)}.{m.group(2)}.bn{m.group(3)}.{m.group(4)}'),
    (r'backbone\.res(\d)\.(\d+)\.shortcut\.weight',
     lambda m: f'backbone.layer{_layer(m)}.{m.group(2)}.downsample.0.weight'),
    (r'backbone\.res(\d)\.(\d+)\.shortcut\.norm\.(.+)',
     lambda m: f'backbone.layer{_layer(m)}.{m.group(2)}.downsample.1.{m.group(3)}'),
]


def backbone_kind(cfg: Config) -> str:
    """``'swin'``, ``'resnet'`` or ``'timm'``: the converters' name for
    ``cfg.model.backbone.type``."""
    kind = cfg.model.backbone.type.split('.')[-1]
    kinds = {'SwinTransformer': 'swin', 'ResNet': 'resnet', 'ResNetV1d': 'resnet',
             'TimmBackbone': 'timm'}
    if kind not in kinds:
        raise ValueError(f'model.backbone.type {cfg.model.backbone.type!r}: no converter for this '
                         f'backbone (supported: {sorted(kinds)})')
    return kinds[kind]


def timm_backbone(state: Dict[str, Tensor], cfg: Config) -> Dict[str, Tensor]:
    """``backbone.*`` of an official release with a timm-built backbone (OneFormer's ConvNeXt:
    facebookresearch/ConvNeXt names plus the per-level ``norm0`` .. ``norm3``) in
    :class:`~unibench.models.backbones.TimmBackbone` names, through the same conversion the
    backbone uses for local weights (timm's ``checkpoint_filter_fn``)."""
    import copy

    from unibench.registry import MODELS

    inner = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    out = {k: v for k, v in state.items() if not k.startswith('backbone.')}
    for key in [k for k in inner if re.fullmatch(r'norm\d\.(weight|bias)', k)]:
        out[f'backbone.out_norms.{key[4]}.{key.split(".")[1]}'] = inner.pop(key)
    backbone_cfg = copy.deepcopy(cfg.model.backbone)
    backbone_cfg.init_cfg = None
    with torch.device('meta'):  # only the key names and shapes are needed
        backbone = MODELS.build(backbone_cfg)
    out.update({f'backbone.model.{k}': v for k, v in backbone.timm_state_dict(inner).items()})
    return out


# ------------------------------------------------------------------------------------------
# Class order. The official code (and the HF releases converted from it) index classes in the
# dataset's registration order; unibench puts the thing classes first (datasets/real.py).


def native_classes(dataset_type: str) -> Tuple[Tuple[str, bool], ...]:
    """``(name, isthing)`` of a dataset in the official contiguous-id order."""
    from unibench.datasets import real
    from unibench.registry import DATASETS
    tables = {
        'ADE20KPanopticDataset': real.ADE20K_150, 'ADE20KSemanticDataset': real.ADE20K_150,
        'CityscapesPanopticDataset': real.CITYSCAPES_19,
        'CityscapesSemanticDataset': real.CITYSCAPES_19,
        'COCOPanopticDataset': tuple((n, i < 80) for i, n in enumerate(real.COCO_PANOPTIC)),
    }
    if dataset_type in tables:
        return tuple((n, bool(t)) for n, t in tables[dataset_type])
    # Other datasets (shapes, custom): their METAINFO order is taken as the source's.
    meta = DATASETS.get(dataset_type).METAINFO
    things = set(meta.get('thing_classes', ()))
    return tuple((n, n in things) for n in meta['classes'])


def dataset_type(cfg: Config) -> str:
    """The type of the test (else train) dataset, unwrapping dataset wrappers."""
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(name) or {}).get('dataset')
        while isinstance(dataset, dict) and 'dataset' in dataset:
            dataset = dataset['dataset']
        if isinstance(dataset, dict) and dataset.get('type'):
            return dataset['type'].split('.')[-1]
    raise ValueError('the config names no dataset (test/val/train_dataloader.dataset.type): the '
                     'class order of the converted classifier cannot be determined')


def class_orders(cfg: Config) -> Tuple[List[str], List[str]]:
    """Source and target class names of the classifier of ``cfg`` (without "no object").

    The head classifies ``num_things_classes + num_stuff_classes`` classes: all of the dataset's,
    or only its things (instance models, e.g. ADE20K NUM_CLASSES 100).
    """
    head = cfg.model.panoptic_head
    things, stuff = head.num_things_classes, head.num_stuff_classes
    native = native_classes(dataset_type(cfg))
    native_things = [n for n, t in native if t]
    native_stuff = [n for n, t in native if not t]
    if (things, stuff) == (len(native_things), len(native_stuff)):
        source = [n for n, _ in native]
        target = native_things + native_stuff
    elif (things, stuff) == (len(native_things), 0):
        source = target = native_things
    else:
        raise ValueError(f'{dataset_type(cfg)} has {len(native_things)} thing and '
                         f'{len(native_stuff)} stuff classes; the head has {things} / {stuff}')
    return source, target


def class_permutation(cfg: Config) -> List[int]:
    """Source row of every unibench classifier row, "no object" (last) included."""
    source, target = class_orders(cfg)
    return [source.index(n) for n in target] + [len(source)]


def permute_classes(state: Dict[str, Tensor], cfg: Config, *,
                    key: str = 'panoptic_head.decoder.cls_embed') -> None:
    """Permutes the classifier's rows (weight and bias) in place to unibench's order."""
    order = torch.tensor(class_permutation(cfg))
    for suffix in ('.weight', '.bias'):
        if key + suffix in state:
            value = state[key + suffix]
            if value.shape[0] != len(order):
                raise ValueError(f'{key}{suffix}: the source has {value.shape[0]} class rows, the '
                                 f'config {len(order)} ({len(order) - 1} classes + no object)')
            state[key + suffix] = value[order]


def _norm_name(name: str) -> str:
    # detectron2 / HF spell the same class differently: "window " vs "windowpane, window",
    # "tree-merged", "wall-other-merged"; compare the first name, lower-cased, without suffixes.
    name = name.split(',')[0].strip().lower()
    return re.sub(r'(-other)?(-merged|-stuff)$', '', name)


def check_class_names(labels: Sequence[str], cfg: Config, *, source: str) -> None:
    """Raises unless a release's class list (HF ``id2label``) is the order the converter assumes.

    Args:
        labels: The release's class names by index.
        cfg: The target config.
        source: The file or folder (for the message).
    """
    expected, _ = class_orders(cfg)
    if len(labels) != len(expected):
        raise ValueError(f'{source}: the release has {len(labels)} classes, the config\'s '
                         f'{dataset_type(cfg)} head {len(expected)}')
    wrong = [f'{i}: {a!r} vs {b!r}' for i, (a, b) in enumerate(zip(labels, expected))
             if _norm_name(a) != _norm_name(b)]
    if len(wrong) > len(labels) // 10:  # a few synonyms differ; a different list differs a lot
        raise ValueError(f'{source}: class list differs from {dataset_type(cfg)} in '
                         f'{len(wrong)} of {len(labels)} positions (release vs config), e.g. '
                         f'{wrong[:6]}')
