"""unibench's inference with the decoder's final-only path against the full path, interleaved.

usage: python tools/analysis_tools/final_only_bench.py CONFIG SIZE [N]
"""
import statistics
import sys
import time

from mmengine.config import Config

import unibench  # noqa: F401
from unibench.benchmark.peers import build_peers


def main() -> None:
    cfg = Config.fromfile(sys.argv[1])
    cfg.merge_from_dict({'model.backbone.init_cfg': None})
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    peer = build_peers(cfg, batch=2, size=int(sys.argv[2]), which=['unibench'])[0]
    peer.model.eval()
    decoder = peer.model.panoptic_head.decoder
    forward = decoder.forward  # final-only when the head asks for it (its predict does)

    def full(*args, final_only=False, **kwargs):
        return forward(*args, **kwargs)

    times = {'final-only': [], 'full': []}
    for _ in range(3 + n):
        for mode, ms in times.items():
            decoder.forward = forward if mode == 'final-only' else full
            start = time.perf_counter()
            peer.infer()
            ms.append(time.perf_counter() - start)
    median = {mode: statistics.median(ms[3:]) * 1e3 for mode, ms in times.items()}
    print(f"{sys.argv[1]} {sys.argv[2]}^2: final-only {median['final-only']:.1f} ms, full "
          f"{median['full']:.1f} ms, x{median['full'] / median['final-only']:.3f}")


if __name__ == '__main__':
    main()
