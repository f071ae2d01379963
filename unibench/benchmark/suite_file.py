"""Suite files: runs = model config x seeds (x tasks to evaluate) x schedule overrides.

A suite is an mmengine config of its own (``configs/benchmarks/*.py``)::

    suite_name = 'demo'
    work_root = 'work_dirs/benchmarks/demo'    # default: work_dirs/benchmarks/<suite_name>
    report_dir = 'reports/demo'                # default: reports/<suite_name>
    seeds = [0]                                # default for every run
    options = {'train_cfg.max_iters': 200}     # --cfg-options of every run whose config has
                                               # the key (a key no run has is an error)
    speed = dict(num_images=10, warmup=3)      # ms/img after training; None: not measured
    runs = [dict(name='m2f_panoptic', config='configs/...py', label='M2F-Panoptic',
                 eval_tasks='all', seeds=[0, 1], options={...}), ...]  # paths from the cwd
    # A run made of earlier runs' trained models trains nothing (unibench.benchmark.compose):
    #   dict(name='pair', config=..., depends=dict(pspnet='model.semantic', panet=...))
    ablation = dict(joint=['oneformer_joint'], separate=['m2f_panoptic', ...], ...)
    extra_columns = ['trained_models']         # optional results-table columns
    pretrain = dict(config='configs/pretrain/X.py', label='...')  # optional shared first step;
    # several (one per backbone kind): [dict(name='pretrain_vit', config=..., label=...), ...]
    jobs = 2                                   # runs trained at once, the cores split among
                                               # them (default 1; --jobs overrides)

A run with ``depends`` has a ``compose`` step instead of ``train`` (see
:mod:`unibench.benchmark.suite`); ``pretrain`` names the shared pre-training(s) its models load,
each a row of its own under ``<work_root>/<name>/`` (``name`` defaults to ``pretrain``).
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

from unibench.engine.config import check_option_keys

EVAL_TASKS = ('panoptic', 'instance', 'semantic', 'all')
PRETRAIN_RUN = 'pretrain'  # <work_root>/pretrain/: the shared pre-training's record
PRETRAIN_KEYS = {'name', 'config', 'label'}


@dataclass(frozen=True)
class RunSpec:
    """One training run of a suite: a config, a seed and its overrides."""

    name: str
    seed: int
    config: str
    label: str
    eval_tasks: Tuple[str, ...]
    options: Dict[str, Any]
    work_dir: str
    index: int = 0
    depends: Dict[str, Optional[str]] = field(default_factory=dict)  # run name -> config key

    @property
    def run_id(self) -> str:
        return f'{self.name}-seed{self.seed}'

    @property
    def dependency_dirs(self) -> Dict[str, str]:
        """Work dirs of the same seed of each run this one depends on."""
        root = osp.dirname(self.work_dir)
        return {name: osp.join(root, f'{name}-seed{self.seed}') for name in self.depends}

    @property
    def cfg_options(self) -> Dict[str, Any]:
        """The run's ``--cfg-options``: suite and run overrides plus the seed."""
        return {**self.options, 'randomness.seed': self.seed}


@dataclass
class Suite:
    """A parsed suite file (see the module docstring)."""

    name: str
    path: str
    work_root: str
    report_dir: str
    runs: List[RunSpec]
    ablation: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    speed: Optional[Dict[str, int]] = None
    figures: Dict[str, Any] = field(default_factory=dict)
    extra_columns: List[str] = field(default_factory=list)  # tables.OPTIONAL_COLUMNS
    pretrain: List[Dict[str, str]] = field(default_factory=list)  # name, config, label
    jobs: int = 1  # runs at once (unibench.benchmark.suite.run_suite)

    @property
    def run_ids(self) -> List[str]:
        """The run ids of the suite's records (the pre-training's included)."""
        return [p['name'] for p in self.pretrain] + [r.run_id for r in self.runs]


def load_suite(path: str, *, work_root: Optional[str] = None) -> Suite:
    """Parses a suite file; unknown run keys and unknown run names in ``ablation`` are errors."""
    cfg = Config.fromfile(path)
    name = cfg.get('suite_name') or osp.splitext(osp.basename(path))[0]
    root = work_root or cfg.get('work_root') or osp.join('work_dirs', 'benchmarks', name)
    common = dict(cfg.get('options') or {})
    runs = []
    configs: Dict[str, Config] = {}
    applied: set = set()
    allowed = {'name', 'config', 'label', 'eval_tasks', 'seeds', 'options', 'depends'}
    for index, run in enumerate(cfg.get('runs') or []):
        unknown = set(run) - allowed
        if unknown or 'name' not in run or 'config' not in run:
            raise ValueError(f'{path}: run {run.get("name")!r} needs name and config and may '
                             f'have {sorted(allowed)}; unknown keys {sorted(unknown)}')
        if not osp.isfile(run['config']):  # at parse time, not hours later when its turn comes
            raise FileNotFoundError(f'{path}: run {run["name"]!r}: config not found: '
                                    f'{run["config"]}')
        eval_tasks = run.get('eval_tasks', 'all')
        eval_tasks = (eval_tasks, ) if isinstance(eval_tasks, str) else tuple(eval_tasks)
        if not set(eval_tasks) <= set(EVAL_TASKS) or ('all' in eval_tasks and len(eval_tasks) > 1):
            raise ValueError(f'{path}: run {run["name"]!r}: eval_tasks must be "all" or tasks '
                             f'from {EVAL_TASKS}, got {eval_tasks}')
        depends = parse_depends(path, run)
        # The suite-wide options configure training, which a composed run has not; a key the
        # run's config lacks (a painter's list of schedulers has no `param_scheduler.end`) is
        # left to the run's own options.
        shared = {} if depends else applicable(common, run['config'], configs)
        applied.update(shared)
        for seed in run.get('seeds', cfg.get('seeds', [0])):
            runs.append(RunSpec(
                name=run['name'], seed=int(seed), config=run['config'],
                label=run.get('label', run['name']), eval_tasks=eval_tasks,
                options={**shared, **dict(run.get('options') or {})},
                work_dir=osp.join(root, f'{run["name"]}-seed{seed}'), index=index,
                depends=depends))
            missing = [d for d in depends if f'{d}-seed{seed}' not in
                       {r.run_id for r in runs[:-1]}]
            if missing:
                raise ValueError(f'{path}: run {run["name"]!r} (seed {seed}) depends on '
                                 f'{missing}, which must be earlier runs with that seed')
    unused = sorted(set(common) - applied)
    if unused and any(not r.depends for r in runs):
        raise ValueError(f'{path}: options {unused} are keys of no run\'s config')
    names = [r.name for r in runs]
    if len({r.run_id for r in runs}) != len(runs):
        raise ValueError(f'{path}: run names repeat: {names}')
    ablation = {key: normalize_group(key, value, names=set(names))
                for key, value in dict(cfg.get('ablation') or {}).items()}
    pretrain = parse_pretrain(path, cfg.get('pretrain'), run_names=set(names))
    jobs = cfg.get('jobs', 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f'{path}: jobs must be a positive integer, got {jobs!r}')
    return Suite(name=name, path=path, work_root=root, jobs=jobs,
                 report_dir=cfg.get('report_dir') or osp.join('reports', name), runs=runs,
                 ablation=ablation, speed=cfg.get('speed'), figures=dict(cfg.get('figures') or {}),
                 extra_columns=list(cfg.get('extra_columns') or []), pretrain=pretrain)


def parse_pretrain(path: str, value: Any, *, run_names: set) -> List[Dict[str, str]]:
    """The suite's pre-trainings: ``None``, one dict or a list of dicts with ``config`` (an
    existing file), optional ``label`` and ``name`` (the run id of its row; ``pretrain`` by
    default, so a list of several names each one)."""
    if value is None:
        return []
    entries = [value] if isinstance(value, dict) else list(value)
    parsed = []
    for entry in entries:
        entry = dict(entry) if isinstance(entry, dict) else {}
        if set(entry) - PRETRAIN_KEYS or not osp.isfile(entry.get('config', '')):
            raise ValueError(f'{path}: pretrain must be dict(config=<existing file>, label=..., '
                             f'name=...) or a list of them, got {value}')
        parsed.append(dict(entry, name=entry.get('name', PRETRAIN_RUN)))
    names = [p['name'] for p in parsed]
    if len(set(names)) != len(names) or set(names) & run_names:
        raise ValueError(f'{path}: pre-training names must be unique and differ from the run '
                         f'names (several pre-trainings need a name each), got {names}')
    return parsed


def applicable(options: Dict[str, Any], config: str,
               cache: Dict[str, Config]) -> Dict[str, Any]:
    """The ``options`` whose keys ``config`` has (configs parsed once into ``cache``)."""
    if config not in cache:
        cache[config] = Config.fromfile(config) if osp.isfile(config) else None
    if cache[config] is None:  # a missing config fails when the run starts, naming it
        return dict(options)
    keep = {}
    for key, value in options.items():
        try:
            check_option_keys(cache[config], {key: value})
        except KeyError:
            continue
        keep[key] = value
    return keep


def parse_depends(path: str, run: Dict[str, Any]) -> Dict[str, Optional[str]]:
    """A run's ``depends`` as ``{run name: config key or None}`` (a list gives no keys)."""
    depends = run.get('depends') or {}
    if isinstance(depends, (list, tuple)):
        depends = {name: None for name in depends}
    if not isinstance(depends, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in depends.items()):
        raise ValueError(f'{path}: run {run.get("name")!r}: depends must be a list of run names '
                         f'or a dict run name -> config key, got {depends!r}')
    return dict(depends)


def normalize_group(key: str, value: Any, *, names: set) -> Dict[str, Any]:
    """An ablation group as ``{'label', 'runs'}``; ``runs`` is a list of run names or a mapping
    task -> run name (which model answers which task)."""
    group = dict(value) if isinstance(value, dict) and 'runs' in value else dict(runs=value)
    runs = group['runs']
    runs = dict(runs) if isinstance(runs, dict) else list(runs)
    missing = sorted(set(runs.values() if isinstance(runs, dict) else runs) - names)
    if missing:
        raise ValueError(f'ablation group {key!r} names runs the suite lacks: {missing}')
    return dict(label=group.get('label', key), runs=runs)
