"""``tools/benchmark.py run`` killed mid-suite (SIGKILL to its process group, the training
subprocess included) and started again: the finished run is left alone, the interrupted one
resumes from its checkpoint, and the records and tables end complete. Real subprocesses."""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unibench.benchmark import load_suite, publish
from unibench.engine.resume import resume_checkpoint
from unibench.testing import TINY_MODELS, tiny_config
from unibench.testing.processes import kill_session

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
ITERS = dict(first=2, second=6)  # checkpoints every 2 iterations


def write_suite(tmp_path: Path, config: Path) -> Path:
    runs = [dict(name=name, config=str(config), eval_tasks='semantic',
                 options={'train_cfg.max_iters': n, 'param_scheduler.end': n})
            for name, n in ITERS.items()]
    suite = tmp_path / 'suite.py'
    suite.write_text(f'suite_name = {"killed"!r}\nwork_root = {str(tmp_path / "work")!r}\n'
                     f'report_dir = {str(tmp_path / "report")!r}\nspeed = None\n'
                     f'runs = {runs!r}\n')
    return suite


def benchmark(*args: str, log: Path) -> subprocess.Popen:
    """``tools/benchmark.py`` in a session of its own, so that it and its children can be killed
    together, as a pre-empted job is."""
    with open(log, 'w') as out:
        return subprocess.Popen([sys.executable, 'tools/benchmark.py', *args], cwd=REPO, env=ENV,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def record(work_dir: Path) -> dict:
    return json.loads((work_dir / 'record.json').read_text())


def sessions(log: Path) -> list:
    """A step's log split into the sessions ``execute_logged`` appended (each opens with
    ``$ argv``)."""
    return re.split(r'^\$ ', log.read_text(), flags=re.M)[1:]


@pytest.mark.slow  # 7 tool processes
def test_a_killed_suite_runs_only_what_is_missing_and_resumes(tiny_shapes, tmp_path):
    cfg = tiny_config(str(CONFIG), data_root=tiny_shapes, work_dir='unused',
                      model=TINY_MODELS['mask2former'])
    cfg.default_hooks.checkpoint.interval = 2
    cfg.train_cfg.val_begin = 10 ** 6  # no validation while training: tests only, faster
    cfg.log_level = 'INFO'  # the resume message and every iteration's line
    config = tmp_path / 'm2f_tiny.py'
    cfg.dump(str(config))
    suite = write_suite(tmp_path, config)
    first, second = tmp_path / 'work/first-seed0', tmp_path / 'work/second-seed0'

    proc = benchmark('run', str(suite), log=tmp_path / 'session1.log')
    try:
        # mmengine names the checkpoint in last_checkpoint once it is written; kill then.
        deadline = time.monotonic() + 300
        while not (second / 'last_checkpoint').is_file() and proc.poll() is None:
            assert time.monotonic() < deadline, (tmp_path / 'session1.log').read_text()
            time.sleep(0.05)
    finally:
        kill_session(proc)  # it may have ended by itself: the assertion below says so
    assert proc.returncode == -signal.SIGKILL, (tmp_path / 'session1.log').read_text()
    assert record(first)['train']['status'] == 'finished'
    assert record(second)['train']['status'] == 'running'
    resumed_at = int(Path(resume_checkpoint(str(second))).stem.split('_')[1])
    assert 2 <= resumed_at < ITERS['second']
    untouched = {p: p.stat().st_mtime_ns for p in first.rglob('*') if p.is_file()}

    proc = benchmark('run', str(suite), log=tmp_path / 'session2.log')
    assert proc.wait(timeout=600) == 0, (tmp_path / 'session2.log').read_text()
    out = (tmp_path / 'session2.log').read_text()
    assert 'first-seed0: already done' in out and 'second-seed0: done in' in out

    # The finished run: not trained, tested or even touched again.
    assert {p: p.stat().st_mtime_ns for p in first.rglob('*') if p.is_file()} == untouched
    assert len(sessions(first / 'logs/train.log')) == 1
    # The interrupted one: trained on from its checkpoint, not from iteration 0.
    killed, resumed = sessions(second / 'logs/train.log')
    iters = [int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/', resumed)]
    assert iters == list(range(resumed_at + 1, ITERS['second'] + 1)), iters
    assert f'resumed epoch: 0, iter: {resumed_at}' in resumed
    assert '--resume' not in killed.splitlines()[0] and '--resume' in resumed.splitlines()[0]
    for work_dir, n in ((first, ITERS['first']), (second, ITERS['second'])):
        rec = record(work_dir)
        assert rec['train']['status'] == 'finished' and rec['train']['iterations'] == n
        assert any(e['mode'] == 'test' for e in rec['evaluations'].values())

    # Tables of both runs, each file complete (what `tools/benchmark.py report` writes, here
    # without another 10 s interpreter start).
    report = tmp_path / 'report'
    publish(load_suite(str(suite)), str(report), figures=False)
    with open(report / 'results.csv') as f:
        rows = list(csv.DictReader(f))
    assert sorted(r['Model'] for r in rows) == ['first', 'second'], rows
    assert all(r['mIoU'] not in ('', None) for r in rows)
    md = [line for line in (report / 'results.md').read_text().splitlines() if line.startswith('|')]
    assert len(md) == 2 + 2 and len({line.count('|') for line in md}) == 1
    tex = (report / 'results.tex').read_text()
    assert tex.count(r'\begin{') == tex.count(r'\end{') > 0 and tex.rstrip().endswith('}')
    with open(report / 'records.csv') as f:
        assert len(list(csv.DictReader(f))) == 2
