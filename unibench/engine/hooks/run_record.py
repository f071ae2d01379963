"""``<work_dir>/record.json``: what a run was, what it cost and what it scored.

Every unibench config adds :class:`RunRecordHook` (``configs/_base_/default_runtime.py``), so
each training run and each ``tools/test.py`` evaluation leaves one record that
``tools/benchmark.py collect`` turns into tables. Sections (schema 1)::

    identity     config, family, backbone, dataset, tasks_trained, seed, precision, git,
                 versions, device, num_processes
    train        status, iterations, images_seen, wall_clock_s, device_hours, train_img_per_s,
                 data_time_share, peak_memory{bytes, kind}, val_history, ...
    size         params_train, params_inference, flops{flops, input_shape, ...}, checkpoint
    evaluations  "<mode>:<task+task>" -> mode, tasks, checkpoint, results{task: {task_token,
                 metrics}}, seconds, peak_memory, device
    speed        task -> ms_per_img, ... (written by ``tools/benchmark.py speed``)
    suite        suite, run, seed, ... (written by ``tools/benchmark.py run``)

Writers merge into the file section by section (keys of a section are replaced), each write is
a temp file plus :func:`os.replace`, so a reader never sees half a record.
"""
import math
import os.path as osp
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from unibench.registry import HOOKS
from unibench.utils.records import (  # noqa: F401
    RECORD_FILE,
    evaluation_key,
    now,
    read_record,
    record_path,
    update_record,
    write_json_atomic,
)

from . import cost

SCHEMA_VERSION = 1
_STATE_KEY = 'unibench_run_record'  # message-hub entry: saved in checkpoints, restored on resume


@HOOKS.register_module()
class RunRecordHook(Hook):
    """Writes the run record at the start and end of training and after each evaluation.

    Training cost is counted per iteration: step time is the time between consecutive
    ``after_train_iter`` calls (data loading, forward, backward, optimizer, logging and
    checkpointing) and data time the part of it spent waiting for the batch. Throughput and the
    data-time share leave out the first ``warmup_iters`` iterations of a session. Validation
    inside training counts towards wall-clock time, not towards step time. The counters live in
    the message hub, so a resumed run continues them from its checkpoint.

    Args:
        warmup_iters: Iterations left out of the throughput (at most half of the session).
        flops_input_size: ``(H, W)`` for the FLOP count; defaults to the test pipeline's
            ``Resize`` scale.
        count_flops: Trace one inference forward with mmengine's ``FlopAnalyzer``.
    """

    priority = 'LOW'  # after the logger, before CheckpointHook saves the message hub

    def __init__(self, *, warmup_iters: int = 10,
                 flops_input_size: Optional[Tuple[int, int]] = None,
                 count_flops: bool = True) -> None:
        self.warmup_iters = warmup_iters
        self.flops_input_size = tuple(flops_input_size) if flops_input_size else None
        self.count_flops = count_flops
        self._training = False
        self._last = 0.0
        self._eval_start = 0.0

    # ---- training -------------------------------------------------------------------------
    def before_train(self, runner) -> None:
        self._training = True
        state = runner.message_hub.get_info(_STATE_KEY) if runner.iter > 0 else None
        self._state = dict(state) if state else dict(
            wall_clock_s=0.0, val_s=0.0, images_seen=0, sessions=0, measured_iters=0,
            measured_images=0, measured_step_s=0.0, measured_data_s=0.0, batch_size=None)
        self._state['sessions'] += 1
        self._prev_wall = self._state['wall_clock_s']
        self._session_iters = 0
        self._warmup = min(self.warmup_iters, max(runner.max_iters - runner.iter, 0) // 2)
        self._val_history = self._old_val_history(runner)
        self._started_at = now()
        if is_main_process():  # the FLOP count traces a forward: once, not on every rank
            self._write(runner, identity=self._identity(runner), size=self._size(runner),
                        train=self._train_section(runner, status='running'))
        cost.reset_peak_memory()
        self._session_start = self._last = time.perf_counter()  # the FLOP count is not training

    def before_train_iter(self, runner, batch_idx: int, data_batch: Any = None) -> None:
        self._data_time = time.perf_counter() - self._last

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None,
                         outputs: Any = None) -> None:
        self._stop_if_diverged(runner, outputs)
        now = time.perf_counter()
        step, self._last = now - self._last, now
        images = _batch_size(data_batch) * runner.world_size
        state = self._state
        state['images_seen'] += images
        state['batch_size'] = images
        if self._session_iters >= self._warmup:
            state['measured_iters'] += 1
            state['measured_images'] += images
            state['measured_step_s'] += step
            state['measured_data_s'] += self._data_time
        self._session_iters += 1
        state['wall_clock_s'] = self._prev_wall + now - self._session_start
        runner.message_hub.update_info(_STATE_KEY, dict(state))

    def _stop_if_diverged(self, runner, outputs: Any) -> None:
        """A non-finite loss ends the run with an error naming the iteration and the terms; it
        runs before the checkpoint hook, so the last checkpoint is the last good one. (The
        official OneFormer sanitises non-finite gradients silently; a benchmark should say.)"""
        values = {k: float(v.detach() if hasattr(v, 'detach') else v)
                  for k, v in (outputs or {}).items() if 'loss' in k}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if not bad:
            return
        last = None
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(pointer):
            with open(pointer) as f:
                last = f.read().strip() or None
        terms = ', '.join(f'{k}={v}' for k, v in sorted(bad.items()))
        reason = f'non-finite loss at iteration {runner.iter + 1}: {terms}'
        train = self._train_section(runner, status='diverged')
        train.update(reason=reason, last_good_checkpoint=last)
        self._write(runner, train=train)
        raise FloatingPointError(f'{reason}; training stopped, the last good checkpoint is '
                                 f'{last or "none (no checkpoint was saved yet)"}')

    def before_val(self, runner) -> None:
        self._eval_start = time.perf_counter()

    def after_val(self, runner) -> None:
        if self._training:
            self._state['val_s'] += time.perf_counter() - self._eval_start
            self._last = time.perf_counter()  # the next batch's wait starts now, not before val

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not is_main_process():
            return
        entry = self._evaluation(runner, 'val', metrics or {},
                                 getattr(runner.val_loop, 'tasks', None))
        updates: Dict[str, Any] = dict(evaluations={evaluation_key('val', entry['tasks']): entry})
        if self._training:
            self._val_history.append(dict(iter=runner.iter, metrics=_flat(entry)))
            updates['train'] = self._train_section(runner, status='running')
        self._write(runner, **updates)

    def after_train(self, runner) -> None:
        self._state['wall_clock_s'] = self._prev_wall + time.perf_counter() - self._session_start
        runner.message_hub.update_info(_STATE_KEY, dict(self._state))
        checkpoint = None
        last = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(last):
            with open(last) as f:
                checkpoint = cost.file_bytes(f.read().strip())
        self._write(runner, train=self._train_section(runner, status='finished'),
                    size=dict(checkpoint=checkpoint))
        self._training = False

    # ---- testing --------------------------------------------------------------------------
    def before_test(self, runner) -> None:
        cost.reset_peak_memory()
        self._eval_start = time.perf_counter()

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not is_main_process():
            return
        entry = self._evaluation(runner, 'test', metrics or {},
                                 getattr(runner.test_loop, 'tasks', None))
        record = read_record(runner.work_dir)
        identity = {**self._identity(runner), **record.get('identity', {})}  # training's wins
        size = {k: v for k, v in self._size(runner, record.get('size', {})).items()
                if k not in record.get('size', {}) or k == 'flops'}
        size.pop('params_train', None)  # the test model is the inference model
        if not record.get('size', {}).get('checkpoint'):
            size['checkpoint'] = entry['checkpoint']
        self._write(runner, identity=identity, size=size,
                    evaluations={evaluation_key('test', entry['tasks']): entry})

    # ---- sections -------------------------------------------------------------------------
    def _identity(self, runner) -> Dict[str, Any]:
        cfg = runner.cfg
        model = _unwrap(runner.model)
        train_set = _dataset_cfg(cfg, 'train_dataloader')
        data_set = train_set or _dataset_cfg(cfg, 'test_dataloader')
        name = (osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename
                else runner.experiment_name)
        tasks = train_set.get('tasks') if train_set else None
        env = cost.environment()
        return dict(
            schema=SCHEMA_VERSION, config=name, config_path=cfg.filename,
            work_dir=osp.abspath(runner.work_dir),
            family=getattr(model, 'family', type(model).__name__.lower()),
            model=type(model).__name__, backbone=backbone_name(cfg.get('model', {})),
            dataset=dict(type=data_set.get('type'), data_root=data_set.get('data_root')),
            tasks_trained=list(tasks) if tasks else None, seed=runner.seed,
            precision='amp' if 'Amp' in str((cfg.get('optim_wrapper') or {}).get('type'))
            else 'fp32', num_processes=runner.world_size, **env)

    def _size(self, runner, old: Optional[dict] = None) -> Dict[str, Any]:
        model = _unwrap(runner.model)
        counts = cost.parameter_counts(model)
        size: Dict[str, Any] = dict(params_train=counts['params_built'],
                                    params_inference=counts['params_inference'])
        input_size = self.flops_input_size or cost.pipeline_input_size(
            _dataset_cfg(runner.cfg, 'test_dataloader').get('pipeline', []))
        old_flops = (old or read_record(runner.work_dir).get('size', {})).get('flops') or {}
        wanted = [1, 3, *input_size] if input_size else None
        if old_flops.get('flops') is not None and old_flops.get('input_shape') == wanted:
            size['flops'] = old_flops
        elif self.count_flops:
            tasks = (runner.cfg.get('test_cfg') or {}).get('tasks') or ['panoptic']
            size['flops'] = cost.count_flops(model, input_size=input_size, task=tasks[0])
        else:
            size['flops'] = dict(flops=None, reason='disabled (RunRecordHook count_flops=False)')
        return size

    def _train_section(self, runner, *, status: str) -> Dict[str, Any]:
        s = self._state
        step_s, measured = s['measured_step_s'], s['measured_iters']
        return dict(
            status=status, started_at=self._started_at,
            finished_at=now() if status == 'finished' else None,
            iterations=runner.iter, max_iters=runner.max_iters, sessions=s['sessions'],
            batch_size=s['batch_size'], images_seen=s['images_seen'],
            wall_clock_s=s['wall_clock_s'], val_s=s['val_s'],
            devices=runner.world_size,
            device_hours=s['wall_clock_s'] * runner.world_size / 3600.0,
            warmup_iters=self._warmup, measured_iters=measured,
            train_img_per_s=s['measured_images'] / step_s if step_s > 0 else None,
            step_time_s=step_s / measured if measured else None,
            data_time_share=s['measured_data_s'] / step_s if step_s > 0 else None,
            peak_memory=cost.peak_memory(), val_history=self._val_history)

    def _evaluation(self, runner, mode: str, metrics: Dict[str, float],
                    tasks: Optional[Sequence[str]]) -> Dict[str, Any]:
        results: Dict[str, Any] = {}
        for key, value in metrics.items():
            task, _, name = key.rpartition('/')
            results.setdefault(task or 'other', dict(task_token=task or None, metrics={}))
            results[task or 'other']['metrics'][name] = _number(value)
        tasks = list(tasks) if tasks else [t for t in results if t != 'other']
        loader = runner.val_dataloader if mode == 'val' else runner.test_dataloader
        env = cost.environment()['device']
        return dict(
            mode=mode, tasks=tasks, iter=runner.iter if mode == 'val' else None,
            checkpoint=cost.file_bytes(runner.cfg.get('load_from')) if mode == 'test' else None,
            evaluated_at=now(), seconds=time.perf_counter() - self._eval_start,
            num_images=len(loader.dataset), peak_memory=cost.peak_memory(),
            device=env, num_processes=runner.world_size, results=results)

    def _old_val_history(self, runner) -> List[dict]:
        if runner.iter == 0:
            return []
        old = read_record(runner.work_dir).get('train', {}).get('val_history') or []
        return [v for v in old if v.get('iter', 0) <= runner.iter]

    def _write(self, runner, **sections: Any) -> None:
        if is_main_process():
            update_record(runner.work_dir, sections)


def backbone_name(model_cfg: dict) -> Optional[str]:
    """``ResNet-18``-style name of a model config's backbone; a ResNet of another width than
    64 base channels says so (``ResNet-18-w32``, OpenMMLab's ``hrnet-w32`` convention)."""
    backbone = model_cfg.get('backbone') or {}
    if not backbone:
        return None
    name = str(backbone.get('type', '?')).split('.')[-1]
    width = backbone.get('base_channels')
    suffix = f'-w{width}' if name == 'ResNet' and width not in (None, 64) else ''
    for key in ('depth', 'arch', 'model_name'):
        if backbone.get(key) is not None:
            return f'{name}-{backbone[key]}{suffix}'
    return name


# ---- helpers ----------------------------------------------------------------------------------
def _unwrap(model: Any) -> Any:
    return model.module if is_model_wrapper(model) else model


def _dataset_cfg(cfg: Any, loader: str) -> dict:
    dataloader = cfg.get(loader) or {}
    return dict(dataloader.get('dataset') or {})


def _batch_size(data_batch: Any) -> int:
    inputs = data_batch.get('inputs') if isinstance(data_batch, dict) else None
    return len(inputs) if inputs is not None else 0


def _number(value: Any) -> Any:
    """JSON-safe metric value: floats stay floats, NaN / inf become ``None``."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return value if math.isfinite(value) else None


def _flat(entry: Dict[str, Any]) -> Dict[str, Any]:
    return {f'{task}/{name}': value for task, res in entry['results'].items()
            for name, value in res['metrics'].items()}
