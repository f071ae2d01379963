"""The dense-kernel floor of each implementation's train step and inference (issue 16).

usage: python tools/analysis_tools/step_floor.py CONFIG SIZE BATCH [fp32|bf16]

Builds unibench and its peers (``unibench.benchmark.peers``) at one setting, times each train
step and single-image inference (``time_peers``: interleaved, median after 2), then profiles them
and prints the self time of the matrix products and convolutions, the same FLOPs on the same
kernels in every implementation, beside the whole.
"""
import sys

import torch
from mmengine.config import Config
from torch.profiler import ProfilerActivity, profile

import unibench  # noqa: F401
from unibench.benchmark.peers import build_peers, time_peers

DENSE = {'aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm', 'aten::mkldnn_convolution',
         'aten::convolution_backward', 'aten::_slow_conv2d_forward',
         'aten::_slow_conv2d_backward', 'aten::mkldnn_matmul'}


def profiled(fn, calls: int):
    """Profiled self seconds per call of ``fn``: (all operators, the dense ones)."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            fn()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) / calls / 1e6
    dense = sum(e.self_cpu_time_total for e in events if e.key in DENSE) / calls / 1e6
    return total, dense


def main() -> None:
    path, size, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    precision = sys.argv[4] if len(sys.argv) > 4 else 'fp32'
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({'model.backbone.init_cfg': None})
    which = ['unibench', 'transformers']
    if cfg.model.type.lower() == 'mask2former':
        which.insert(1, 'mmdet')
    peers = build_peers(cfg, batch=batch, size=size, which=which, precision=precision)
    print(f'{path} {size}^2 batch {batch} {precision} threads {torch.get_num_threads()}')
    walls = time_peers(peers, steps=3, warmup=2, infer_images=7)  # interleaved medians
    for what in ('train', 'infer'):
        for peer in peers:
            peer.model.train(what == 'train')
            with torch.set_grad_enabled(what == 'train'):
                if what == 'train':
                    wall = walls[peer.name]['train_s']
                    total, dense = profiled(peer.train_step, 2)
                else:
                    wall = walls[peer.name]['infer_ms'] / 1e3
                    total, dense = profiled(peer.infer, 5)
            print(f'{what:5s} {peer.name:13s} wall {wall * 1e3:8.1f} ms  profiled '
                  f'{total * 1e3:8.1f} ms  dense {dense * 1e3:8.1f} ms '
                  f'({100 * dense / total:4.1f}%)  rest {(total - dense) * 1e3:8.1f} ms')

if __name__ == '__main__':
    main()
