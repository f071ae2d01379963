"""Atomic file writers: a reader, or an interrupted run, never sees a half-written file."""
from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Union

PathLike = Union[str, os.PathLike]
# errnos of a full disk, a quota, a file size limit
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: f.write(data))


def atomic_write(path: PathLike, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write`` on a temp file in ``path``'s folder, then ``os.replace`` it onto ``path``.

    A reader (or an interrupted run) therefore never sees a half-written file under the final
    name; the temp file is removed if writing fails or is interrupted, and a file already at
    ``path`` keeps its previous content.

    Args:
        path: Final file path; its folder must exist.
        write: Writes the content to the binary file it is given (e.g. ``torch.save(obj, f)``).

    Raises:
        OSError: Writing failed (a full disk, a quota): the error keeps the cause's errno and
            names ``path``, which the cause (a failed ``write`` of an open file) does not.
    """
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
        with os.fdopen(fd, 'wb') as f:
            write(f)
        os.replace(tmp, path)
    except BaseException as err:
        # BaseException: KeyboardInterrupt must not leave the temp file behind either.
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError) and err.errno is not None:
            raise _naming(err, path) from err
        raise


def _naming(err: OSError, path: Path) -> OSError:
    """``err`` (same errno, hence the same ``OSError`` subclass) with a message naming ``path``
    and what is left there."""
    previous = 'keeps its previous content' if path.exists() else 'was not created'
    hint = ' (free space and run again)' if err.errno in _FULL else ''
    return OSError(err.errno, f'{err.strerror}: writing {path} failed; {path.name} {previous}'
                   f'{hint}')


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically, creating its folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode('utf-8'))
