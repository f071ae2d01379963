"""PSSL pre-training as a unibench pipeline: classifiers -> pseudo labels -> segmentation
pre-training -> fine-tuning, compared against the same segmentor fine-tuned from scratch.

Every step reads the previous step's files under ``work_root`` and writes its own atomically, so
``tools/pssl.py SPEC --steps ...`` can run them one at a time or all at once:

* ``classifiers``: crops around the thing instances of the training split (``crops/img``) and
  the classifiers trained on them (``classifiers/<model>.pth``, val accuracy in
  ``classifiers/summary.json``);
* ``labels``: SmoothGrad ensemble -> deciles -> pseudo labels (``crops/ann``), scored against
  the crops' ground truth (``crops/summary.json``);
* ``pretrain``: the segmentor trained on the pseudo labels with a class-balanced weighted
  cross-entropy (the pre-training config); its weights without the classifiers
  (``pretrain/init.pth``);
* ``finetune``: the fine-tuning config trained twice with the same budget and seed, from
  ``init.pth`` and from scratch, each tested; ``results.{json,md}``.
"""
import json
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import timm
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from unibench.engine.config import repoint_data
from unibench.pssl.classification import (
    CropSet,
    accuracy,
    instance_crops,
    normalize,
    train_classifier,
    write_crop_images,
)
from unibench.pssl.saliency import ensemble, pseudo_label, smoothgrad, write_label_pngs
from unibench.registry import DATASETS
from unibench.utils.io import atomic_write, atomic_write_bytes

STEPS = ('classifiers', 'labels', 'pretrain', 'finetune')
Log = Callable[[str], None]


def run(spec: Config, steps: Sequence[str] = STEPS, log: Log = print) -> Optional[List[dict]]:
    """Runs ``steps`` of the pipeline described by ``spec`` (see ``configs/pssl/pssl_*.py``).

    Returns:
        The result rows when ``finetune`` ran, else ``None``.
    """
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise ValueError(f'unknown PSSL step(s) {unknown}; choose from {STEPS}')
    rows = None
    for i, step in enumerate(steps):
        log(f'[pssl {i + 1}/{len(steps)}] {step}')
        result = dict(classifiers=step_classifiers, labels=step_labels, pretrain=step_pretrain,
                      finetune=step_finetune)[step](spec, log)
        rows = result if step == 'finetune' else rows
    return rows


def step_classifiers(spec: Config, log: Log) -> None:
    """(a) the classification set, (b) the classifiers and their val accuracy."""
    root = Path(spec.work_root)
    train, val = _crops(spec, 'train'), _crops(spec, 'val')
    log(f'  classification set: {len(train)} train / {len(val)} val crops of '
        f'{spec.crops.size}px, {len(train.classes)} classes')
    write_crop_images(train, root / 'crops' / 'img')
    summary = {}
    for model_name in spec.classifiers:
        model = train_classifier(model_name, train, seed=spec.seed, log=log,
                                 **spec.classifier_train)
        summary[model_name] = dict(val_accuracy=accuracy(model, val))
        log(f'  {model_name}: val accuracy {summary[model_name]["val_accuracy"]:.3f}')
        _save(model.state_dict(), root / 'classifiers' / f'{model_name}.pth')
    _write_json(root / 'classifiers' / 'summary.json', summary)


def step_labels(spec: Config, log: Log) -> None:
    """(c) SmoothGrad ensemble of the classifiers -> deciles -> pseudo-label PNGs."""
    root = Path(spec.work_root)
    crops = _crops(spec, 'train')
    models = [_load_classifier(root, name, len(crops.classes)) for name in spec.classifiers]
    background = len(crops.classes)
    generator = torch.Generator().manual_seed(spec.seed)
    cfg = spec.smoothgrad
    labels, ious, precisions, names = [], [], [], crops.names
    for start in range(0, len(crops), cfg.batch_size):
        sl = slice(start, start + cfg.batch_size)
        images, classes = normalize(crops.images[sl]), crops.labels[sl]
        maps = [smoothgrad(m, images, classes, noise=cfg.noise, samples=cfg.samples,
                           generator=generator) for m in models]
        for saliency, cls, mask in zip(ensemble(maps).numpy(), classes.tolist(), crops.masks[sl]):
            label = pseudo_label(saliency, cls, background)
            labels.append(label)
            top, mask = label == cls, mask.numpy()
            ious.append(_iou(top, mask))
            precisions.append(float((top & mask).sum() / max(top.sum(), 1)))
        log(f'  pseudo labels {min(start + cfg.batch_size, len(crops))}/{len(crops)}')
    write_label_pngs(root / 'crops' / 'ann', names, labels)
    summary = dict(num_labels=len(labels), background_label=background,
                   noise=cfg.noise, samples=cfg.samples, classifiers=list(spec.classifiers),
                   top_decile_iou_with_gt=float(np.mean(ious)),
                   top_decile_precision=float(np.mean(precisions)),
                   object_share_of_crop=float(crops.masks.float().mean()))
    _write_json(root / 'crops' / 'summary.json', summary)
    log(f'  top decile vs ground-truth object: precision {summary["top_decile_precision"]:.3f}, '
        f'IoU {summary["top_decile_iou_with_gt"]:.3f} (the object covers '
        f'{summary["object_share_of_crop"]:.2f} of a crop on average)')


def step_pretrain(spec: Config, log: Log) -> None:
    """(d) segmentation pre-training on the pseudo labels; keeps the weights for fine-tuning."""
    root = Path(spec.work_root)
    cfg = _load(spec.pretrain, work_dir=root / 'pretrain', log_level=spec.log_level)
    cfg.train_dataloader.dataset.data_root = str(root / 'crops')
    runner = Runner.from_cfg(cfg)
    runner.train()
    # The classifiers (conv_seg) predict the pre-training label set; fine-tuning starts them anew.
    state = {k: v for k, v in runner.model.state_dict().items() if '.conv_seg.' not in k}
    _save(dict(state_dict=state, meta=dict(source=cfg.filename)), root / 'pretrain' / 'init.pth')
    log(f'  pre-trained weights: {root / "pretrain" / "init.pth"}')


def step_finetune(spec: Config, log: Log) -> List[dict]:
    """(e, f) fine-tuning from the PSSL weights and from scratch; (g) the result table."""
    root = Path(spec.work_root)
    init = root / 'pretrain' / 'init.pth'
    if not init.is_file():
        raise FileNotFoundError(f'{init} not found: run the pretrain step first')
    rows = []
    for arm, load_from in (('PSSL pre-trained', str(init)), ('from scratch', None)):
        name = 'pssl' if load_from else 'scratch'
        cfg = _load(spec.finetune, work_dir=root / f'finetune_{name}', log_level=spec.log_level)
        cfg = repoint_data(cfg, spec.data_root)
        cfg.load_from = load_from
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None  # one test pass at the end
        runner = Runner.from_cfg(cfg)
        runner.train()
        metrics = runner.test()
        rows.append(dict(init=arm, finetune_iters=spec.finetune.max_iters,
                         pretrain_iters=spec.pretrain.max_iters if load_from else 0,
                         mIoU=float(metrics['semantic/mIoU'])))
        log(f'  {arm}: semantic/mIoU {rows[-1]["mIoU"]:.2f}')
    _write_json(root / 'results.json', rows)
    atomic_write_bytes(root / 'results.md', results_table(rows).encode())
    log(results_table(rows))
    return rows


def results_table(rows: Sequence[dict]) -> str:
    """Markdown table of the fine-tuning results."""
    lines = ['| Initialisation | Pre-training iters | Fine-tuning iters | mIoU |',
             '|:--|--:|--:|--:|']
    lines += [f'| {r["init"]} | {r["pretrain_iters"]} | {r["finetune_iters"]} | '
              f'{r["mIoU"]:.2f} |' for r in rows]
    return '\n'.join(lines) + '\n'


def _crops(spec: Config, split: str) -> CropSet:
    classes = DATASETS.get(spec.dataset_type).METAINFO['thing_classes']
    c = spec.crops
    return instance_crops(spec.data_root, split, classes=classes, size=c.size,
                          context=c.context, min_area=c.min_area,
                          max_crops=c.max_train if split == 'train' else c.max_val,
                          seed=spec.seed)


def _load(step: Config, *, work_dir: Path, log_level: str) -> Config:
    """The step's config with its ``options`` merged and the step's iteration budget."""
    cfg = Config.fromfile(step.config)
    if step.get('options'):
        cfg.merge_from_dict(step.options)
    max_iters = step.max_iters
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.train_cfg.val_interval = max_iters
    cfg.param_scheduler.end = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.log_level = log_level
    return cfg


def _load_classifier(root: Path, name: str, num_classes: int) -> torch.nn.Module:
    path = root / 'classifiers' / f'{name}.pth'
    if not path.is_file():
        raise FileNotFoundError(f'{path} not found: run the classifiers step first')
    model = timm.create_model(name, pretrained=False, num_classes=num_classes)
    model.load_state_dict(torch.load(path, map_location='cpu', weights_only=True))
    return model.eval()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _save(obj: Dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(obj, f))


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(data, indent=2).encode())

