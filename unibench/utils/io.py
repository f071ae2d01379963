"""Atomic file writers: a reader, or an interrupted run, never sees a half-written file."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Union

PathLike = Union[str, os.PathLike]


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: f.write(data))


def atomic_write(path: PathLike, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write`` on a temp file in ``path``'s folder, then ``os.replace`` it onto ``path``.

    A reader (or an interrupted run) therefore never sees a half-written file under the final
    name; the temp file is removed if writing fails or is interrupted.

    Args:
        path: Final file path; its folder must exist.
        write: Writes the content to the binary file it is given (e.g. ``torch.save(obj, f)``).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        # BaseException: KeyboardInterrupt must not leave the temp file behind either.
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically, creating its folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode('utf-8'))
