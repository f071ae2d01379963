"""Lets torch's ``weights_only`` loader read the checkpoints mmengine 0.10.7 writes.

torch >= 2.6 loads with ``weights_only=True`` by default and refuses the non-tensor objects that
mmengine stores for resuming (``HistoryBuffer`` of the message hub, numpy arrays and scalars).
Rather than turn the check off globally, the few classes mmengine writes are allow-listed.
"""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def allow_mmengine_checkpoints() -> None:
    """Adds mmengine's checkpoint classes to torch's safe globals (idempotent)."""
    from numpy._core.multiarray import _reconstruct, scalar

    dtypes = [type(np.dtype(t)) for t in ('float16', 'float32', 'float64', 'int8', 'int16',
                                          'int32', 'int64', 'uint8', 'bool')]
    torch.serialization.add_safe_globals(
        [HistoryBuffer, np.ndarray, np.dtype, _reconstruct, scalar, *dtypes])
