"""Runs that train nothing: a model composed of models that earlier runs of a suite trained.

A suite run with ``depends=dict(pspnet='model.semantic', panet='model.instance')`` (see
:mod:`unibench.benchmark.suite`) gets, on every step, ``model.semantic.config`` /
``model.semantic.checkpoint`` pointing at the config that ``pspnet`` of the same seed was trained
with (dumped in its work dir) and at its last checkpoint. Its ``compose`` step, instead of
training, builds the model once, saves it as one checkpoint (so ``tools/test.py`` and the speed
run treat it as any run), and records as its training cost the sum of the dependencies' costs.
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import weights_to_cpu

from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.hooks import read_record, update_record
from unibench.utils.io import atomic_write, atomic_write_bytes

COMPOSED_CHECKPOINT = 'composed.pth'
SUMMED = ('iterations', 'images_seen', 'wall_clock_s', 'val_s', 'device_hours')


def run_options(spec: Any) -> Dict[str, Any]:
    """Every ``--cfg-options`` of a suite run's steps: its own (seed included), then what hands
    it its dependencies' trained models (:func:`dependency_options`)."""
    return {**spec.cfg_options, **dependency_options(spec.dependency_dirs, spec.depends)}


def dependency_options(work_dirs: Dict[str, str], prefixes: Dict[str, Optional[str]]
                       ) -> Dict[str, str]:
    """``--cfg-options`` that hand each dependency's trained model to the composed config.

    Args:
        work_dirs: Dependency name -> its work dir (same seed).
        prefixes: Dependency name -> config key whose ``config`` and ``checkpoint`` receive its
            trained config and last checkpoint (``None``: the dependency only adds its cost).

    Raises:
        FileNotFoundError: A dependency has not finished training or lacks its dumped config.
    """
    options = {}
    for name, prefix in prefixes.items():
        work_dir = work_dirs[name]
        record = read_record(work_dir)
        checkpoint = last_checkpoint(work_dir)
        if record.get('train', {}).get('status') != 'finished' or checkpoint is None:
            raise FileNotFoundError(f'dependency {name} has no finished training in {work_dir}; '
                                    'run it first')
        if prefix is None:
            continue
        config = osp.join(work_dir, f'{record.get("identity", {}).get("config")}.py')
        if not osp.isfile(config):
            raise FileNotFoundError(f'dependency {name}: the config it was trained with is not '
                                    f'in {work_dir} (expected {config})')
        options.update({f'{prefix}.config': config, f'{prefix}.checkpoint': checkpoint})
    return options


def compose_run(cfg: Config, *, work_dir: str, depends: Sequence[str]) -> str:
    """Saves the model of ``cfg`` as ``<work_dir>/composed.pth`` and records the summed cost.

    Args:
        cfg: The composed model's config (its children load their checkpoints on build).
        work_dir: The run's work dir; gets the checkpoint, ``last_checkpoint``, the config (with
            the dependencies' paths) and the record's ``train`` and ``identity`` sections.
        depends: Work dirs of the runs whose trained models it is made of.

    Returns:
        The checkpoint path.
    """
    from unibench.benchmark.speed import build_inference_model

    records = [read_record(d) for d in depends]
    unfinished = [d for d, r in zip(depends, records)
                  if r.get('train', {}).get('status') != 'finished']
    if not depends or unfinished:
        raise RuntimeError(f'compose needs finished dependency runs; unfinished: {unfinished}, '
                           f'given: {list(depends)}')
    model = build_inference_model(cfg)
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(osp.abspath(work_dir), COMPOSED_CHECKPOINT)
    meta = dict(composed_from=[osp.abspath(d) for d in depends], config=cfg.filename)
    atomic_write(path, lambda f: torch.save(
        dict(meta=meta, state_dict=weights_to_cpu(model.state_dict())), f))
    atomic_write_bytes(osp.join(work_dir, 'last_checkpoint'), path.encode())
    # As a training run leaves it (the figures rebuild the model from it).
    cfg.dump(osp.join(work_dir, osp.basename(cfg.filename)))
    update_record(work_dir, dict(train=summed_training(records, depends),
                                 identity=combined_identity(records)))
    return path


def summed_training(records: Sequence[Dict[str, Any]], work_dirs: Sequence[str]
                    ) -> Dict[str, Any]:
    """A ``train`` section whose cost is the dependencies' total.

    Iterations, images, wall-clock and device-hours add up; ``trained_models`` counts the models
    trained (a composed dependency counts its own); the peak memory is the largest of the
    trainings (they ran one after the other). Throughput is left out: no one model ran it.
    """
    trains = [r.get('train', {}) for r in records]
    section: Dict[str, Any] = dict(status='finished', composed_from=[
        r.get('suite', {}).get('run') or osp.basename(osp.normpath(d))
        for r, d in zip(records, work_dirs)])
    for key in SUMMED:
        values = [t.get(key) for t in trains]
        section[key] = sum(values) if all(v is not None for v in values) else None
    section['trained_models'] = sum(t.get('trained_models', 1) for t in trains)
    section['devices'] = max((t.get('devices') or 1) for t in trains)
    peaks = [t['peak_memory'] for t in trains if (t.get('peak_memory') or {}).get('bytes')]
    section['peak_memory'] = max(peaks, key=lambda p: p['bytes']) if peaks else None
    return section


def combined_identity(records: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """``tasks_trained`` (union, in order) and ``backbone`` (shared, or each named) of the
    dependencies; the test run fills in the rest of the identity."""
    identities = [r.get('identity', {}) for r in records]
    tasks: List[str] = []
    for identity in identities:
        tasks += [t for t in identity.get('tasks_trained') or [] if t not in tasks]
    backbones = list(dict.fromkeys(str(i.get('backbone')) for i in identities))
    return dict(tasks_trained=tasks or None, backbone=' + '.join(backbones))

