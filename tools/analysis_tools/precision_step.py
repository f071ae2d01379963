"""unibench's train step in fp32 against bf16 autocast, interleaved, median of N after 2.

usage: python tools/analysis_tools/precision_step.py CONFIG SIZE BATCH N
(threads: torch's default, or OMP_NUM_THREADS)
"""
import sys
from dataclasses import replace

import torch
from mmengine.config import Config

import unibench  # noqa: F401
from unibench.benchmark.peers import build_peers, time_peers


def main() -> None:
    cfg = Config.fromfile(sys.argv[1])
    cfg.merge_from_dict({'model.backbone.init_cfg': None})
    size, batch, n = (int(a) for a in sys.argv[2:5])
    peers = [replace(build_peers(cfg, batch=batch, size=size, which=['unibench'],
                                 precision=precision)[0], name=precision)
             for precision in ('fp32', 'bf16')]
    times = time_peers(peers, steps=n, warmup=2, infer_images=1)  # interleaved medians
    fp32, bf16 = (times[p]['train_s'] * 1e3 for p in ('fp32', 'bf16'))
    print(f'threads {torch.get_num_threads()} {sys.argv[1]}: fp32 {fp32:.1f} ms, bf16 '
          f'{bf16:.1f} ms, x{fp32 / bf16:.2f}')


if __name__ == '__main__':
    main()
