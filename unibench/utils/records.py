"""Run record files, ``<work_dir>/record.json``: read, merged section by section, written
atomically (temp file, fsync, rename) under a folder lock. The writer is
:class:`unibench.engine.hooks.RunRecordHook` (its module documents the sections); tables and
suites read them through here.
"""
import json
import os
import os.path as osp
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, Sequence

from unibench.utils.io import atomic_write

RECORD_FILE = 'record.json'


def record_path(work_dir: str) -> str:
    """Path of the record of ``work_dir``."""
    return osp.join(work_dir, RECORD_FILE)


def read_record(work_dir: str) -> Dict[str, Any]:
    """The record of ``work_dir``; ``{}`` when there is none yet."""
    path = record_path(work_dir)
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def update_record(work_dir: str, sections: Dict[str, Any]) -> Dict[str, Any]:
    """Merges ``sections`` into the record of ``work_dir`` and writes it atomically.

    A dict section updates the stored section key by key (a key's value is replaced whole);
    anything else replaces the section.

    Returns:
        The record as written.
    """
    os.makedirs(work_dir, exist_ok=True)
    with _locked(work_dir):
        record = read_record(work_dir)
        for name, value in sections.items():
            if isinstance(value, dict) and isinstance(record.get(name), dict):
                record[name].update(value)
            else:
                record[name] = value
        record['updated_at'] = now()
        write_json_atomic(record_path(work_dir), record)
    return record


def write_json_atomic(path: str, data: Any) -> None:
    """Writes JSON to a temp file in the same folder, then renames it over ``path``."""
    text = json.dumps(data, indent=1, sort_keys=False, allow_nan=False).encode()

    def write(f) -> None:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())  # the record must survive a crash right after the rename

    atomic_write(path, write)


def evaluation_key(mode: str, tasks: Sequence[str]) -> str:
    """Key of an evaluation in ``record['evaluations']``, e.g. ``test:panoptic+instance``."""
    return f'{mode}:{"+".join(tasks)}'


def now() -> str:
    """UTC time stamp of a record entry."""
    return datetime.now(timezone.utc).isoformat(timespec='seconds')


@contextmanager
def _locked(folder: str) -> Iterator[None]:
    """Serialises read-modify-write of a folder's record between processes (``flock`` on the
    folder itself, so no lock file is left behind)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover  (Windows: a single writer is assumed)
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
