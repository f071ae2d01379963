"""Build (or find) the cached pre-trained backbone of a pre-training config.

``python tools/pretrain.py configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py
[--record-dir D]`` prints the cached ``backbone.pth``; on a miss it generates the config's images
and trains first. ``--record-dir`` merges the pre-training run's record (its cost) into
``D/record.json``, where a suite's tables read it.
"""
import argparse
import json

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.engine.hooks import update_record
from unibench.engine.pretrained import pretrain


def main() -> None:
    parser = argparse.ArgumentParser(description='Cached backbone pre-training')
    parser.add_argument('config', help='pre-training config (configs/pretrain/*.py)')
    parser.add_argument('--work-dir', help='training run folder (default: in the cache)')
    parser.add_argument('--record-dir', help='merge the run record (cost) into DIR/record.json')
    args = parser.parse_args()
    path, record = pretrain(args.config, work_dir=args.work_dir)
    cached = record.pop('cached', False)
    if args.record_dir:  # its own validation (pre-training images) stays out of the metrics
        evaluations = record.pop('evaluations', {})
        update_record(args.record_dir, dict(record, pretrain=dict(
            config=args.config, checkpoint=str(path), cached=cached,
            evaluations=evaluations)))
    print(json.dumps(dict(checkpoint=str(path), cached=cached)))


if __name__ == '__main__':
    main()
