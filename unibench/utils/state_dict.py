"""Whether a checkpoint's weights cover a module: the one check every weight loader runs, so that
a partial load is an error that lists what is missing, never a warning and random weights."""
from typing import Any, Dict, Iterable, List, Mapping

import torch

WRAPPER_KEYS = ('state_dict', 'model', 'module')  # mmengine / timm-train / DeiT-style files


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, unwrapped from ``state_dict`` / ``model`` / ``module``."""
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # a truncated or foreign file: name it, not torch's internals
        raise ValueError(f'cannot read checkpoint {path}: {type(exc).__name__}: {exc}') from exc
    for key in WRAPPER_KEYS:
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(key), dict):
            checkpoint = checkpoint[key]
            break
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{path} holds no state dict (got {type(checkpoint).__name__})')
    return {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}


def strip_prefix(state: Mapping[str, Any], prefixes: Iterable[str]) -> Dict[str, Any]:
    """Removes the first of ``prefixes`` that every key starts with (``backbone.``, ``module.``)."""
    for prefix in prefixes:
        if state and all(k.startswith(prefix) for k in state):
            return {k[len(prefix):]: v for k, v in state.items()}
    return dict(state)


def check_covers(own: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor], *,
                 source: str, target: str, allow_unexpected: bool = False) -> List[str]:
    """Raises ``ValueError`` unless ``state`` has every key of ``own`` with its shape.

    Args:
        own: The module's ``state_dict()``.
        state: The checkpoint's tensors, keys already in the module's names.
        source: The file (for the message).
        target: The module (for the message).
        allow_unexpected: Keys the module lacks are returned (e.g. a classifier head) instead of
            failing.

    Returns:
        The unexpected keys (sorted).
    """
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = sorted(f'{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
                    for k in set(own) & set(state) if state[k].shape != own[k].shape)
    if missing or shapes or (unexpected and not allow_unexpected):
        parts = [f'{source} does not cover {target}:']
        if missing:
            parts.append(f'{len(missing)} of {len(own)} weights missing, e.g. {missing[:8]}')
        if shapes:
            parts.append(f'{len(shapes)} shape mismatches, e.g. {shapes[:5]}')
        if unexpected and not allow_unexpected:
            parts.append(f'{len(unexpected)} unexpected keys, e.g. {unexpected[:8]}')
        raise ValueError(' '.join(parts))
    return unexpected
