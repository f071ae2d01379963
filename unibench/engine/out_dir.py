"""``tools/test.py --out-dir DIR``: every task's predictions in its evaluator's file format.

The files are written by the metrics themselves, through their own arguments:

* ``outfile_prefix`` (mmdet's ``CocoPanopticMetric``: ``results.panoptic.json`` and the PNGs in
  ``results.panoptic/``; ``CocoMetric``: ``results.segm.json`` with RLE masks, and
  ``results.bbox.json``);
* ``output_dir`` (mmseg's ``IoUMetric``: one label PNG per image).

Each task gets a folder of its own (``DIR/panoptic/``, ``DIR/instance/``, ``DIR/semantic/``), so
the passes of one checkpoint do not overwrite each other. The metrics write into
``DIR/.<task>.partial/``, which replaces ``DIR/<task>/`` once the test has finished: a test that
is killed or fails leaves the previous predictions whole, never a mix of two runs.
"""
import inspect
import os
import os.path as osp
import shutil
from typing import Any, Dict, List, Sequence, Tuple

from mmengine.config import Config

# The writing arguments, in order of preference, and what each is set to under the task folder.
WRITERS = (('outfile_prefix', 'results'), ('output_dir', ''))


def set_out_dir(cfg: Config, out_dir: str, tasks: Sequence[str]) -> Dict[str, str]:
    """Points the file writer of each task's test metric under ``out_dir``.

    Metrics keep computing their scores; add ``format_only=True`` to a metric
    (``--cfg-options test_evaluator.metrics.panoptic.format_only=True``) for a test split
    without ground truth.

    Args:
        cfg: The test config; ``test_evaluator.metrics[task]`` is edited in place.
        out_dir: The output folder.
        tasks: The tasks that will be evaluated (:func:`unibench.engine.config.set_test_tasks`).

    Returns:
        The task folders to hand to :func:`publish_out_dir` after the test, by task.

    Raises:
        ValueError: A task has no metric that writes files, or several (one format per folder).
        KeyError: A metric's ``type`` is not a registered metric class.
    """
    metrics = cfg.test_evaluator.get('metrics', {})
    staged = {}
    for task in tasks:
        found = [(m, arg, value) for m in _as_list(metrics[task])
                 for arg, value in [_writer(m)] if arg]
        if len(found) != 1:
            types = [m.get('type') for m in _as_list(metrics[task])]
            raise ValueError(
                f'--out-dir: test_evaluator.metrics.{task} of {cfg.filename} needs exactly one '
                f'metric that writes files (an {" or ".join(a for a, _ in WRITERS)} argument); '
                f'its metrics {types} have {len(found)}')
        metric, arg, name = found[0]
        stage = _stage(out_dir, task)
        metric[arg] = osp.join(stage, name) if name else stage
        staged[task] = stage
    if _launch_rank() == 0:
        # A test killed earlier left its files here; they must not mix with this test's. Only
        # the first process clears the folders, before its Runner is built: building wraps the
        # model for distributed inference (a collective), so no process writes before that.
        for stage in staged.values():
            shutil.rmtree(stage, ignore_errors=True)
            os.makedirs(stage)  # mmseg's IoUMetric saves into it without creating it
    return {task: osp.join(out_dir, task) for task in staged}


def publish_out_dir(task_dirs: Dict[str, str]) -> List[str]:
    """Moves each task's finished predictions to ``DIR/<task>/``, replacing earlier ones.

    Called on every process after the test; only the first one moves (every process's
    predictions are on disk once the test has returned: the metrics gather before scoring).

    Returns:
        The task folders now holding the predictions.
    """
    from mmengine.dist import get_rank

    if get_rank() != 0:
        return list(task_dirs.values())
    for task, final in task_dirs.items():
        stage = _stage(osp.dirname(final), task)
        if not osp.isdir(stage):
            raise FileNotFoundError(f'--out-dir: the {task} predictions were not written to '
                                    f'{stage}')
        old = stage[:-len('.partial')] + '.old'
        shutil.rmtree(old, ignore_errors=True)
        if osp.isdir(final):
            os.replace(final, old)  # a folder cannot replace a non-empty one in one step
        os.replace(stage, final)
        shutil.rmtree(old, ignore_errors=True)
    return list(task_dirs.values())


def _stage(out_dir: str, task: str) -> str:
    return osp.join(out_dir, f'.{task}.partial')


def _as_list(metric_cfg: Any) -> list:
    return list(metric_cfg) if isinstance(metric_cfg, (list, tuple)) else [metric_cfg]


def _writer(metric: Any) -> Tuple[str, str]:
    """The first of :data:`WRITERS` that the metric's class (or a parent it passes ``**kwargs``
    to) names, with its value under the task folder; ``('', '')`` for none."""
    from unibench.registry import METRICS

    type_name = metric.get('type') if isinstance(metric, dict) else None
    target = METRICS.get(type_name) if isinstance(type_name, str) else None
    if not isinstance(target, type):
        raise KeyError(f'--out-dir: metric type {type_name!r} is not a registered metric class')
    for arg, value in WRITERS:
        if _names(target, arg):
            return arg, value
    return '', ''


def _names(target: type, argument: str) -> bool:
    """Whether ``argument`` is a named parameter of ``target``'s ``__init__`` chain (followed
    while each ``__init__`` passes ``**kwargs`` on); unlike a ``--cfg-options`` check, taking
    ``**kwargs`` is not enough: the argument must be there to write files."""
    for cls in target.__mro__:
        init = cls.__dict__.get('__init__')
        if init is None or cls is object:
            continue
        params = inspect.signature(init).parameters
        if argument in params:
            return True
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return False
    return False


def _launch_rank() -> int:
    """This process's rank, also before the process group exists (the launchers' variables)."""
    from mmengine.dist import get_rank, is_distributed

    if is_distributed():
        return get_rank()
    return int(os.environ.get('RANK') or os.environ.get('SLURM_PROCID') or 0)
