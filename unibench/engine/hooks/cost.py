"""Measurements behind a run record: environment, model size, FLOPs and peak memory.

Plain functions, shared by :class:`~unibench.engine.hooks.RunRecordHook` and the reporting layer
(``unibench.benchmark.speed``). Each returns JSON-ready values; a measurement that cannot be made
is ``None`` together with the reason, never an estimate.
"""
import os.path as osp
import platform
import resource
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

PACKAGES = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmdet', 'mmseg', 'numpy', 'unibench')
FLOPS_CONVENTION = 'fvcore/mmengine: one multiply-add = 1 FLOP; elementwise ops not counted'


def environment() -> Dict[str, Any]:
    """Git commit, package versions and device of this process.

    Returns:
        ``{'git': {'commit', 'dirty'}, 'versions': {pkg: version}, 'python', 'device':
        {'type', 'name', 'cpu_threads'}}``.
    """
    versions = {}
    for name in PACKAGES:
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        versions[name] = getattr(module, '__version__', None)
    if torch.cuda.is_available():
        device = dict(type='cuda', name=torch.cuda.get_device_name(),
                      cuda=torch.version.cuda)
    else:
        device = dict(type='cpu', name=cpu_name())
    device['cpu_threads'] = torch.get_num_threads()
    return dict(git=git_state(), versions=versions, python=platform.python_version(),
                device=device)


def git_state(path: Optional[str] = None) -> Dict[str, Any]:
    """Commit of the unibench checkout (``None`` outside git) and whether it has local edits."""
    path = path or osp.dirname(osp.abspath(__file__))

    def git(*args: str) -> Optional[str]:
        try:
            out = subprocess.run(['git', '-C', path, *args], capture_output=True, text=True,
                                 timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git('rev-parse', 'HEAD')
    status = git('status', '--porcelain', '--untracked-files=no') if commit else None
    return dict(commit=commit, dirty=bool(status) if status is not None else None)


def cpu_name() -> str:
    """CPU model from ``/proc/cpuinfo`` (Linux), else :func:`platform.processor`."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def reset_peak_memory() -> None:
    """Starts a new CUDA peak; the CPU peak RSS of a process cannot be reset."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def peak_memory() -> Dict[str, Any]:
    """Peak memory of this process, saying what was measured.

    Returns:
        ``{'bytes', 'kind'}``: ``kind`` is ``cuda_max_memory_allocated`` (tensors on this
        process's GPU since the last reset) or ``cpu_peak_rss`` (``getrusage`` maximum resident
        set size of this process since it started; dataloader workers are not included).
    """
    if torch.cuda.is_available():
        return dict(bytes=int(torch.cuda.max_memory_allocated()),
                    kind='cuda_max_memory_allocated')
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == 'darwin' else 1024
    return dict(bytes=int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale,
                kind='cpu_peak_rss')


def parameter_counts(model: nn.Module) -> Dict[str, int]:
    """Parameters of the model as built and of its inference part.

    Models with training-only modules (OneFormer's text mapper) say so through
    ``num_parameters(inference=True)``; for the others both counts are equal.
    """
    total = sum(p.numel() for p in model.parameters())
    inference = (model.num_parameters(inference=True) if hasattr(model, 'num_parameters')
                 else total)
    return dict(params_built=int(total), params_inference=int(inference))


def file_bytes(path: Optional[str]) -> Optional[Dict[str, Any]]:
    """``{'path', 'bytes'}`` of a file, ``None`` when there is none."""
    if not path or not osp.isfile(path):
        return None
    return dict(path=osp.abspath(path), bytes=osp.getsize(path))


def pipeline_input_size(pipeline: Sequence[dict]) -> Optional[Tuple[int, int]]:
    """``(H, W)`` that the test pipeline resizes to (mmcv ``scale`` is ``(W, H)``)."""
    for step in pipeline:
        if step.get('type', '').split('.')[-1] == 'Resize' and step.get('scale'):
            scale = step['scale']
            width, height = (scale, scale) if isinstance(scale, int) else scale
            return int(height), int(width)
    return None


def count_flops(model: nn.Module, *, input_size: Optional[Tuple[int, int]],
                task: str = 'panoptic') -> Dict[str, Any]:
    """FLOPs of one inference forward (batch 1) traced by mmengine's :class:`FlopAnalyzer`.

    The forward is ``mode='tensor'`` (backbone, pixel decoder, transformer decoder and heads;
    no post-processing), as mmdet's ``get_flops.py`` counts it. Operators the analyzer has no
    rule for are listed, so a reader knows what the total leaves out.

    Args:
        model: A segmentor with a data preprocessor (mmdet ``BaseDetector`` API).
        input_size: ``(H, W)`` of the image; ``None`` gives a null result with a reason.
        task: Task set on the sample (task-conditioned models read their task token from it).

    Returns:
        ``{'flops', 'input_shape', 'mode', 'convention', 'uncounted_ops', 'reason'}``, with
        ``flops`` ``None`` and ``reason`` set when the model could not be traced.
    """
    result: Dict[str, Any] = dict(flops=None, input_shape=None, mode='tensor',
                                  convention=FLOPS_CONVENTION, uncounted_ops=None, reason=None)
    if input_size is None:
        result['reason'] = 'no input size: the test pipeline has no Resize with a scale'
        return result
    height, width = input_size
    result['input_shape'] = [1, 3, height, width]
    was_training = model.training
    try:
        from mmdet.structures import DetDataSample
        from mmengine.analysis import FlopAnalyzer
        from mmengine.analysis.jit_handles import get_shape

        device = next(model.parameters()).device
        meta = dict(img_shape=(height, width), ori_shape=(height, width),
                    pad_shape=(height, width), batch_input_shape=(height, width),
                    scale_factor=(1.0, 1.0), task=task)
        image = torch.randint(0, 256, (3, height, width), dtype=torch.uint8, device=device)
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(
                dict(inputs=[image], data_samples=[DetDataSample(metainfo=meta)]), False)
            analyzer = FlopAnalyzer(_TensorForward(model, data['data_samples']),
                                    (data['inputs'], ))

            def baddbmm(inputs: List[Any], outputs: List[Any]) -> int:
                # torch's attention: beta * input + batch1 @ batch2; count the batched matmul.
                (batch, rows, inner), cols = get_shape(inputs[1]), get_shape(inputs[2])[-1]
                return batch * rows * inner * cols

            analyzer.set_op_handle('aten::baddbmm', baddbmm)
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            analyzer.tracer_warnings('none')
            result['flops'] = int(analyzer.total())
            result['uncounted_ops'] = sorted(analyzer.unsupported_ops())
    except Exception as exc:  # noqa: BLE001  (any tracing failure is reported, not raised)
        result.update(flops=None, reason=f'{type(exc).__name__}: {exc}'[:500])
    finally:
        model.train(was_training)
    return result


class _TensorForward(nn.Module):
    """``forward(inputs)`` -> ``model(inputs, samples, mode='tensor')``, for the jit tracer."""

    def __init__(self, model: nn.Module, data_samples: list) -> None:
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs: torch.Tensor) -> Any:
        return self.model(inputs, self.data_samples, mode='tensor')

