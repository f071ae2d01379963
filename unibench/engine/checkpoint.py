"""Lets torch's ``weights_only`` loader read the checkpoints mmengine 0.10.7 writes.

torch >= 2.6 loads with ``weights_only=True`` by default and refuses the non-tensor objects that
mmengine stores for resuming: the message hub's ``HistoryBuffer`` and the numpy arrays and scalars
inside it. Rather than turn the check off, the few classes mmengine writes are allow-listed
(:func:`allow_mmengine_checkpoints`, on ``import unibench``: torch keeps one process-wide list, and
mmengine loads checkpoints in many places; the list only widens what loads, it changes no object).

One object cannot be allow-listed safely: ``HistoryBuffer.__getstate__`` pickles its statistics
functions, which pickle as ``getattr(HistoryBuffer, 'min')``, and allowing ``builtins.getattr``
would let a checkpoint reach any attribute. Those functions live in a class-level registry that is
filled again when the code is imported, so the buffers are saved without them: the
:class:`~unibench.engine.hooks.CheckpointStateHook` turns the copies in a checkpoint being saved
into :class:`SafeHistoryBuffer` (nothing else in the process is patched).
"""
import _codecs
import os.path as osp
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


class SafeHistoryBuffer(HistoryBuffer):
    """A ``HistoryBuffer`` that pickles its data without the (class-level, re-registered on
    import) statistics methods; it behaves as the buffer it was made from."""

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop('statistics_methods', None)
        return state


def allow_mmengine_checkpoints() -> None:
    """Allow-lists mmengine's checkpoint classes for ``weights_only`` loading (idempotent)."""
    from numpy._core.multiarray import _reconstruct, scalar

    dtypes = [type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int8', 'int16',
                                          'int32', 'int64', 'uint8', 'bool')]
    torch.serialization.add_safe_globals(
        [HistoryBuffer, SafeHistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar,
         _codecs.encode, *dtypes])


def make_loadable(checkpoint: Dict[str, Any]) -> Dict[str, Any]:
    """Turns the message hub's buffers in a checkpoint dict about to be saved (mmengine's deep
    copies) into :class:`SafeHistoryBuffer`, in place; returns the dict."""
    scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
    for buffer in scalars.values():
        if type(buffer) is HistoryBuffer:
            buffer.__class__ = SafeHistoryBuffer
    return checkpoint


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``<work_dir>/last_checkpoint`` (mmengine's pointer to its latest
    save), or ``None`` when there is no pointer or the file it names is gone."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = f.read().strip()
    return checkpoint if checkpoint and osp.isfile(checkpoint) else None
