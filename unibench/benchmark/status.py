"""Where a suite's run stands: which of its steps (``train`` or ``compose``, ``test:<task>``,
``speed``) its record still lacks, and whether the record was made with other settings."""
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from unibench.benchmark.suite_file import RunSpec
from unibench.engine.config import load_config
from unibench.engine.hooks import read_record


@dataclass
class RunStatus:
    """What a run still needs: ``train``, ``test:<task>`` / ``test:all`` and ``speed`` steps."""

    spec: RunSpec
    todo: List[str]
    stale: Optional[str] = None  # why the record no longer matches the suite

    @property
    def done(self) -> bool:
        return not self.todo


def run_status(spec: RunSpec, *, speed: bool = True) -> RunStatus:
    """Compares a run's record with what the suite asks of it."""
    record = read_record(spec.work_dir)
    todo = []
    if record.get('train', {}).get('status') != 'finished':
        todo.append('compose' if spec.depends else 'train')
    evaluated = set()
    for entry in record.get('evaluations', {}).values():
        if entry.get('mode') == 'test':
            evaluated.update(entry.get('results', {}))
    tasks = expand_tasks(spec)
    if set(tasks) - evaluated:
        wanted = ['all'] if spec.eval_tasks == ('all', ) else list(spec.eval_tasks)
        todo += [f'test:{t}' for t in wanted if t == 'all' or t not in evaluated]
    if speed and set(tasks) - set(record.get('speed', {})):
        todo.append('speed')
    return RunStatus(spec=spec, todo=todo, stale=_stale(spec, record))


def _stale(spec: RunSpec, record: Dict[str, Any]) -> Optional[str]:
    """Set when the run was started with another config or other options than the suite's."""
    old = record.get('suite')
    if not old:
        return None
    changed = [key for key, now in (('config', spec.config), ('options', spec.options))
               if json.loads(json.dumps(old.get(key))) != json.loads(json.dumps(now))]
    return f'{" and ".join(changed)} changed since it ran' if changed else None


def expand_tasks(spec: RunSpec) -> List[str]:
    """The tasks a run is evaluated on (``all``: every task its test evaluator scores)."""
    if spec.eval_tasks != ('all', ):
        return list(spec.eval_tasks)
    cfg = load_config(spec.config, work_dir=spec.work_dir, options=spec.cfg_options)
    return list(cfg.test_evaluator.get('metrics', {}))
