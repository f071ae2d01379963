"""A full disk while a checkpoint, a run record or a report is written: the error names the file,
the previous version of it is intact, and no temporary file is left behind.

The disk "fills" in two places a real one does: at ``write`` (here the kernel's file size limit,
``RLIMIT_FSIZE``: past ``nbytes`` a write fails with EFBIG, as it fails with ENOSPC on a full
disk; CPython ignores SIGXFSZ, so the write raises) and at ``fsync``, where filesystems with
delayed allocation or network storage first report ENOSPC.
"""
import errno
import json
import os
from contextlib import contextmanager

import pytest

from unibench.engine.resume import AtomicLocalBackend
from unibench.reporting.tables import Column, Table, write_tables
from unibench.utils.records import read_record, record_path, update_record

resource = pytest.importorskip('resource')  # POSIX


@contextmanager
def disk_full_after(nbytes: int):
    """Inside, no file of this process grows past ``nbytes`` (write fails with EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard != resource.RLIM_INFINITY and hard < nbytes:
        pytest.skip(f'RLIMIT_FSIZE hard limit {hard} below {nbytes}')
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def no_space(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def put_checkpoint(folder, text: str) -> str:
    path = str(folder / 'iter_4.pth')
    AtomicLocalBackend().put(text.encode(), path)  # what CheckpointHook's save calls
    return path


def read_checkpoint(folder) -> str:
    return (folder / 'iter_4.pth').read_text()


def write_record(folder, text: str) -> str:
    update_record(str(folder), dict(train=dict(status=text)))
    return record_path(str(folder))


def read_status(folder) -> str:
    return read_record(str(folder))['train']['status']


def write_report(folder, text: str) -> str:
    table = Table(name='results', title='t', columns=[Column('label', 'Model', 'Model', text=True)],
                  rows=[dict(label=text)])
    write_tables([table], out_dir=str(folder), prefix='x')
    return str(folder / 'results.md')  # the first file write_tables writes


def read_report(folder) -> str:
    return (folder / 'results.md').read_text()


WRITERS = {'checkpoint': (put_checkpoint, read_checkpoint),
           'record': (write_record, read_status),
           'report': (write_report, read_report)}
FSYNCED = ('checkpoint', 'record')  # the report writer does not sync (a report is rewritten)


def check_failed_write(err, path: str, folder, before: dict, read, old: str) -> None:
    assert str(path) in str(err.value), err.value  # the file is named
    assert 'keeps its previous content' in str(err.value)
    assert old in read(folder)  # the previous version, whole
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing else changed
    assert not [p for p in folder.iterdir() if p.name.endswith('.tmp')]


@pytest.mark.parametrize('writer', sorted(WRITERS))
def test_a_disk_full_at_write_names_the_file_and_keeps_the_previous_one(writer, tmp_path):
    write, read = WRITERS[writer]
    path = write(tmp_path, 'old')
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    big = 'new' * 20000  # 60 kB, the limit 4 kB: the temporary file is cut mid-write
    with disk_full_after(4096), pytest.raises(OSError) as err:
        write(tmp_path, big)
    assert err.value.errno == errno.EFBIG
    assert 'free space and run again' in str(err.value)
    check_failed_write(err, path, tmp_path, before, read, 'old')
    write(tmp_path, big)  # space again: the next write goes through
    assert big in read(tmp_path)


@pytest.mark.parametrize('writer', FSYNCED)
def test_a_disk_full_at_fsync_names_the_file_and_keeps_the_previous_one(writer, tmp_path,
                                                                        monkeypatch):
    write, read = WRITERS[writer]
    path = write(tmp_path, 'old')
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with monkeypatch.context() as patch:
        patch.setattr(os, 'fsync', no_space)
        with pytest.raises(OSError) as err:
            write(tmp_path, 'new')
    assert err.value.errno == errno.ENOSPC
    check_failed_write(err, path, tmp_path, before, read, 'old')


def test_a_first_write_that_fails_leaves_no_file(tmp_path, monkeypatch):
    """No previous file: none is created, and the error says so."""
    monkeypatch.setattr(os, 'fsync', no_space)
    with pytest.raises(OSError, match=r'record.json failed; record.json was not created'):
        write_record(tmp_path, 'x')
    assert list(tmp_path.iterdir()) == []


def test_a_failed_record_write_releases_the_folder_lock(tmp_path, monkeypatch):
    """update_record holds a lock on the folder; a failed write must not keep it (the next
    update, of this or another process, would wait for ever)."""
    fcntl = pytest.importorskip('fcntl')
    write_record(tmp_path, 'running')
    with monkeypatch.context() as patch:
        patch.setattr(os, 'fsync', no_space)
        with pytest.raises(OSError):
            write_record(tmp_path, 'finished')
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if still held
    finally:
        os.close(fd)
    write_record(tmp_path, 'finished')
    assert json.loads((tmp_path / 'record.json').read_text())['train']['status'] == 'finished'
