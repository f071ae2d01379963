"""Runs a peer-speed suite (``configs/benchmarks/peers.py``): every setting's implementations
timed side by side, then their peak memory, into one JSON record that
:func:`unibench.reporting.performance.write_performance` turns into a table and a figure."""
import json
import platform
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import mmdet
import mmengine
import torch
from mmengine.config import Config

from unibench.benchmark.kernels import time_deform_attn
from unibench.benchmark.peers import build_peers, peak_memory, time_peers
from unibench.engine.hooks.cost import cpu_name
from unibench.utils.io import atomic_write_text


def run_and_report(suite_file: str, *, device: Optional[str] = None,
                   memory: bool = True) -> List[str]:
    """Times the suite on this device, then writes the report of every device's latest record
    (``<work_root>/{cpu,cuda}.json``) to the suite's ``out``; returns the paths written."""
    from unibench.reporting.performance import write_performance
    run_peer_suite(suite_file, device=device, memory=memory)
    suite = Config.fromfile(suite_file)
    records = [json.loads(p.read_text()) for p in sorted(Path(suite.work_root).glob('*.json'))]
    return write_performance(records, suite.out,
                             command=f'python tools/benchmark.py peers {suite_file}')


def run_peer_suite(suite_file: str, *, device: Optional[str] = None, memory: bool = True,
                   progress: Callable[[str], None] = print) -> Dict[str, Any]:
    """Times every setting of the suite and writes ``<work_root>/<device>.json``.

    Args:
        suite_file: Peer suite config: ``settings`` (``name``, ``config``, ``size``,
            ``batch``, optional ``cfg_options`` and ``precision``: ``fp32`` (default) or ``bf16``,
            every implementation's training), ``gpu_settings`` (used on CUDA), ``steps``,
            ``warmup``, ``infer_images``, ``work_root``.
        device: ``cuda`` or ``cpu`` (default: CUDA when available).
        memory: Also measure each implementation's peak memory (one process each).
        progress: Receives one line per finished measurement.

    Returns:
        The record: ``machine`` and ``versions``, and per setting its implementations'
        ``train_s``, ``train_img_s``, ``infer_ms``, ``peak_gib`` and ``params``, and on the CPU
        ``deform_attn``: the pixel decoder's attention core alone, mmcv's path and unibench's
        (:func:`unibench.benchmark.kernels.time_deform_attn`).
    """
    suite = Config.fromfile(suite_file)
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    on_gpu = device.startswith('cuda')
    settings = suite.get('gpu_settings', suite.settings) if on_gpu else suite.settings
    record = dict(machine=_machine(device), versions=_versions(), device=device,
                  steps=suite.steps, warmup=suite.warmup, infer_images=suite.infer_images,
                  settings=[])
    for setting in settings:
        cfg = Config.fromfile(setting['config'])
        cfg.merge_from_dict(dict(setting.get('cfg_options', {})))
        start = time.perf_counter()
        precision = setting.get('precision', 'fp32')
        peers = build_peers(cfg, batch=setting['batch'], size=setting['size'], device=device,
                            precision=precision)
        times = time_peers(peers, steps=suite.steps, warmup=suite.warmup,
                           infer_images=suite.infer_images)
        rows = {}
        for peer in peers:
            row = dict(times[peer.name], train_img_s=setting['batch'] / times[peer.name]['train_s'],
                       params=sum(p.numel() for p in peer.model.parameters()), notes=peer.notes)
            if memory:
                row['peak_gib'] = peak_memory(setting['config'], peer.name, batch=setting['batch'],
                                              size=setting['size'], device=device,
                                              options=dict(setting.get('cfg_options', {})),
                                              precision=precision)
            rows[peer.name] = row
        del peers
        entry = dict(name=setting['name'], config=setting['config'], size=setting['size'],
                     batch=setting['batch'], cfg_options=dict(setting.get('cfg_options', {})),
                     precision=precision, family=cfg.model.type, results=rows)
        if not on_gpu and precision == 'fp32':  # unibench's CPU kernel beside mmcv's path
            entry['deform_attn'] = time_deform_attn(cfg, batch=setting['batch'],
                                                    size=setting['size'], steps=suite.steps,
                                                    warmup=suite.warmup)
        record['settings'].append(entry)
        progress(f"{setting['name']}: " + ', '.join(
            f"{k} {v['train_s']:.3f} s/step, {v['infer_ms']:.1f} ms/img" for k, v in rows.items())
            + f' ({time.perf_counter() - start:.0f} s)')
    out = Path(suite.work_root) / f"{'cuda' if on_gpu else 'cpu'}.json"
    atomic_write_text(out, json.dumps(record, indent=1))
    progress(f'wrote {out}')
    return record


def _machine(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name()
    return (f'{cpu_name()}, {torch.get_num_threads()} threads, '
            f'torch CPU capability {torch.backends.cpu.get_cpu_capability()}')


def _versions() -> Dict[str, str]:
    import transformers
    return dict(python=platform.python_version(), torch=torch.__version__,
                mmengine=mmengine.__version__, mmdet=mmdet.__version__,
                transformers=transformers.__version__)
