"""Runs that survive being killed: complete checkpoints only, and a resumed run that is the same
run as an uninterrupted one.

* Checkpoints are written to a temporary name and renamed (:class:`AtomicLocalBackend`, the
  backend of the checkpoint hook in ``configs/_base_/default_runtime.py``), so a file under a
  checkpoint's name is complete. ``last_checkpoint`` is still written in place by mmengine; the
  reader, :func:`resume_checkpoint`, does not trust it blindly: a pointer that is empty or names
  a file that is not a complete checkpoint falls back to the newest complete ``iter_*.pth``.
* :func:`check_checkpoint_file` turns a truncated or foreign file into an error that names it,
  before ``torch.load`` fails deep inside.
* :class:`ExactResumeHook` saves the random states (python, numpy, torch and CUDA) with every
  checkpoint and restores them on resume right before the first batch after the checkpoint is
  drawn; mmengine already replays the sampler and the workers (it skips the batches trained on,
  with the same seeds). Validation runs with the random states set aside and put back, so a run
  with validation trains exactly as one without. Together: a run killed at any point and resumed
  logs the same losses as an uninterrupted run with the same seed.
"""
import glob
import os
import os.path as osp
import random
import re
import zipfile
from typing import Any, Dict, Optional, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import Hook
from mmengine.logging import print_log

from unibench.registry import HOOKS
from unibench.utils.io import atomic_write

RNG_KEY = 'rng_state'
_ITER = re.compile(r'iter_(\d+)\.pth$')


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend whose writes go to a temporary file that is renamed over the
    target: a reader, or a run resumed after a kill, never sees half a file."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        """Writes ``obj`` to ``filepath`` through a synced temporary file; a failed write (a
        full disk) names ``filepath``, leaves the file there as it was and no temporary file."""
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)

        def write(f) -> None:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())  # a full disk may only say so here; the rename must not happen

        atomic_write(filepath, write)

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def check_checkpoint_file(path: str) -> str:
    """``path`` if it is a complete ``torch.save`` file, else an error that names it."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    if not zipfile.is_zipfile(path):  # torch.save writes a zip; a cut one has no directory
        raise ValueError(f'{path} is not a complete checkpoint ({osp.getsize(path)} bytes: '
                         'truncated, still being written, or not a torch.save file); resume '
                         'from an earlier checkpoint')
    return path


def is_complete(path: str) -> bool:
    return osp.isfile(path) and zipfile.is_zipfile(path)


def resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from: the one ``last_checkpoint`` names if it is
    complete, else the newest complete ``iter_*.pth`` of ``work_dir``; ``None`` if there is none.
    Temporary files of writes a kill interrupted are removed (no run writes to ``work_dir`` while
    it is being resumed).
    """
    for stale in glob.glob(osp.join(work_dir, '.*.tmp')):
        print_log(f'removing {stale}: a write that did not finish', logger='current')
        os.remove(stale)
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and is_complete(named):
            return named
        print_log(f'{pointer} names {named!r}, which is not a complete checkpoint: looking for '
                  'the newest complete one', logger='current', level=30)
    found = sorted(((int(m.group(1)), p) for p in glob.glob(osp.join(work_dir, 'iter_*.pth'))
                    if (m := _ITER.search(p))), reverse=True)
    return next((p for _, p in found if is_complete(p)), None)


def capture_rng() -> Dict[str, Any]:
    """The random states of this process: python, numpy, torch (CPU and each CUDA device)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    # numpy's key array as a list: the checkpoint stays loadable with weights_only=True.
    state = dict(python=random.getstate(), numpy=(name, keys.tolist(), pos, has_gauss, gauss),
                 torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: Dict[str, Any]) -> None:
    """Puts back what :func:`capture_rng` returned."""
    random.setstate(_tuples(state['python']))
    name, keys, pos, has_gauss, gauss = state['numpy']
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _tuples(value: Any) -> Any:
    """Python's random state is nested tuples; a checkpoint may hand them back as lists."""
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


class _RestoreBeforeBatch:
    """Wraps the train loop's data iterator: right before batch ``index`` (0-based) is drawn,
    the saved random states are restored, then it steps aside."""

    def __init__(self, iterator: Any, *, index: int, state: Dict[str, Any]) -> None:
        self._iterator, self._index, self._state, self._drawn = iterator, index, state, 0

    def __iter__(self) -> '_RestoreBeforeBatch':
        return self

    def __next__(self) -> Any:
        if self._state is not None and self._drawn == self._index:
            restore_rng(self._state)
            self._state = None
        self._drawn += 1
        return next(self._iterator)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._iterator, name)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Saves and restores the random states so that a resumed run equals an uninterrupted one
    (see the module notes)."""

    priority = 'VERY_HIGH'  # set validation's randomness aside before any other hook runs

    def __init__(self) -> None:
        self._loaded: Optional[Dict[str, Any]] = None
        self._val_state: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[RNG_KEY] = capture_rng()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('meta', {}).get(RNG_KEY)

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        start = getattr(loop, '_iter', 0)
        if self._loaded is None or start == 0 or not hasattr(loop, 'dataloader_iterator'):
            return
        # mmengine skips the `start` batches already trained on before the loop draws batch
        # `start`: that is the point the checkpoint's states belong to.
        loop.dataloader_iterator = _RestoreBeforeBatch(loop.dataloader_iterator, index=start,
                                                       state=self._loaded)
        self._loaded = None

    def before_val(self, runner) -> None:
        self._val_state = capture_rng()

    def after_val(self, runner) -> None:
        if self._val_state is not None:
            restore_rng(self._val_state)
            self._val_state = None
