"""Lets torch's ``weights_only`` loader read the checkpoints mmengine 0.10.7 writes.

torch >= 2.6 loads with ``weights_only=True`` by default and refuses the non-tensor objects that
mmengine stores for resuming: the message hub's ``HistoryBuffer`` and the numpy arrays and scalars
inside it. Rather than turn the check off, the few classes mmengine writes are allow-listed.

One object cannot be allow-listed safely: ``HistoryBuffer.__getstate__`` pickles its statistics
functions, which pickle as ``getattr(HistoryBuffer, 'min')``, and allowing ``builtins.getattr``
would let a checkpoint reach any attribute. Those functions live in a class-level registry that is
filled again when the code is imported, so the buffers are saved without them.
"""
import _codecs
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def allow_mmengine_checkpoints() -> None:
    """Allow-lists mmengine's checkpoint classes for ``weights_only`` loading (idempotent)."""
    from numpy._core.multiarray import _reconstruct, scalar

    HistoryBuffer.__getstate__ = _history_buffer_state
    dtypes = [type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int8', 'int16',
                                          'int32', 'int64', 'uint8', 'bool')]
    torch.serialization.add_safe_globals(
        [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar, _codecs.encode, *dtypes])


def _history_buffer_state(self: HistoryBuffer) -> dict:
    """The buffer's data without the (class-level, re-registered on import) statistics methods."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``<work_dir>/last_checkpoint`` (mmengine's pointer to its latest
    save), or ``None`` when there is no pointer or the file it names is gone."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = f.read().strip()
    return checkpoint if checkpoint and osp.isfile(checkpoint) else None
