"""Inference speed (ms/img), measured as detectron2 and mmdet report it, plus the inference helpers
the qualitative figure shares.

Batch 1; the test pipeline (image decoding, resizing) runs before the clock starts; the timed
part is ``model.test_step``: data preprocessor, forward and the task's post-processing. The
first ``warmup`` images are not timed, and on GPU ``torch.cuda.synchronize`` brackets each image
so asynchronous kernels are counted (mmdet ``tools/analysis_tools/benchmark.py``).
"""
import copy
import statistics
import time
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from torch import nn

from unibench.engine.hooks import update_record
from unibench.engine.hooks.cost import cpu_name
from unibench.engine.painter_prompts import attach_prompts
from unibench.registry import DATASETS, MODELS


def measure_speed(cfg: Config, *, checkpoint: Optional[str] = None,
                  tasks: Optional[Sequence[str]] = None, num_images: int = 50, warmup: int = 5,
                  device: Optional[str] = None) -> Dict[str, Dict[str, Any]]:
    """Milliseconds per image of the inference model, for each task.

    Args:
        cfg: Model config (its ``test_dataloader`` supplies the images).
        checkpoint: Weights to load; ``None`` times randomly initialised weights (the network
            cost is the same, post-processing may differ with the number of segments found).
        tasks: Tasks to time; defaults to every task ``test_evaluator`` has metrics for.
        num_images: Timed images (the validation images, repeated if there are fewer).
        warmup: Untimed images before them.
        device: ``cuda`` or ``cpu``; defaults to CUDA when available.

    Returns:
        ``{task: {'ms_per_img', 'median_ms', 'std_ms', 'num_images', 'warmup', 'batch_size',
        'input_shape', 'device', 'cpu_threads', 'checkpoint', 'timed'}}``.
    """
    if num_images < 1 or warmup < 0:
        raise ValueError(f'num_images must be >= 1 and warmup >= 0, got {num_images}, {warmup}')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    tasks = list(tasks or (cfg.get('test_evaluator') or {}).get('metrics') or ['panoptic'])
    model = build_inference_model(cfg, checkpoint=checkpoint, device=device)
    samples = load_samples(cfg, indices=range(num_images + warmup))
    on_gpu = device.startswith('cuda')
    results = {}
    for task in tasks:
        times: List[float] = []
        for i, sample in enumerate(samples):
            if on_gpu:
                torch.cuda.synchronize()
            start = time.perf_counter()
            predict(model, sample, task=task)
            if on_gpu:
                torch.cuda.synchronize()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000.0)
        results[task] = dict(
            ms_per_img=statistics.fmean(times), median_ms=statistics.median(times),
            std_ms=statistics.stdev(times) if len(times) > 1 else 0.0,
            num_images=len(times), warmup=warmup, batch_size=1,
            input_shape=list(samples[0]['inputs'].shape),
            device=torch.cuda.get_device_name() if on_gpu else f'cpu ({cpu_name()})',
            cpu_threads=torch.get_num_threads(), checkpoint=checkpoint,
            timed='data preprocessor + forward + post-processing (test pipeline excluded)')
    return results


def write_speed(work_dir: str, results: Dict[str, Dict[str, Any]]) -> None:
    """Adds speed results to ``<work_dir>/record.json`` (other tasks' entries are kept)."""
    update_record(work_dir, dict(speed=results))


def inference_model_cfg(model_cfg: ConfigDict, *, prompt_file: Optional[str] = None
                        ) -> ConfigDict:
    """The model config of inference (``tools/test.py``, speed runs, composition, prompts).

    ``train_cfg=None``: training-only modules (OneFormer's text mapper, the assigner) are not
    built, and their checkpoint keys are dropped on load. ``prompt_file``: a painter's tuned
    prompts (``tools/tune_prompt.py``).
    """
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.train_cfg = None
    if prompt_file:
        model_cfg.setdefault('test_cfg', ConfigDict()).prompt_file = prompt_file
    return model_cfg


def build_inference_model(cfg: Config, *, checkpoint: Optional[str] = None,
                          device: str = 'cpu', prompt_file: Optional[str] = None) -> nn.Module:
    """The inference model of ``cfg`` in eval mode, with its checkpoint and (a painter) its
    prompts attached."""
    init_default_scope(cfg.get('default_scope', 'unibench'))
    model = MODELS.build(inference_model_cfg(cfg.model, prompt_file=prompt_file))
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return attach_prompts(model.to(device).eval())


def load_samples(cfg: Config, *, indices: Sequence[int]) -> List[Dict[str, Any]]:
    """Test-pipeline outputs (``inputs``, ``data_samples``) of the test dataset's images.

    Indices wrap around when the dataset is shorter.
    """
    init_default_scope(cfg.get('default_scope', 'unibench'))
    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    if len(dataset) == 0:
        raise ValueError('the test dataset is empty')
    return [dataset[i % len(dataset)] for i in indices]


@torch.no_grad()
def predict(model: nn.Module, sample: Dict[str, Any], *, task: str) -> Any:
    """Runs one test-pipeline sample through ``model.test_step`` asking for ``task``.

    Returns:
        The predicted data sample (``pred_panoptic_seg`` / ``pred_instances`` / ``pred_sem_seg``).
    """
    data_sample = sample['data_samples'].clone()  # new metainfo, shared tensors
    data_sample.set_metainfo(dict(task=task))
    return model.test_step(dict(inputs=[sample['inputs']], data_samples=[data_sample]))[0]
