"""PSSL pre-training end to end: ``python tools/pssl.py SPEC [--steps STEP ...] [--work-root DIR]
[--cfg-options k=v ...]``.

By default every step runs in order (classifiers -> labels -> pretrain -> finetune: pseudo
labels, pre-training, fine-tuning from the pre-trained weights and from scratch) and the mIoU
table is printed; ``--steps`` runs some of them, each reading the previous steps' outputs under
``work_root``. See ``unibench/pssl/pipeline.py``.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.engine.config import check_option_keys
from unibench.pssl import STEPS, run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='PSSL pre-training pipeline')
    parser.add_argument('spec', help='pipeline spec, e.g. configs/pssl/pipeline-shapes.py')
    parser.add_argument('--steps', nargs='+', choices=STEPS, default=list(STEPS),
                        help='steps to run, in order (default: all)')
    parser.add_argument('--work-root', help='output folder (default: the spec\'s work_root)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override spec keys, e.g. finetune.max_iters=100')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    spec = Config.fromfile(args.spec)
    if args.cfg_options:
        check_option_keys(spec, args.cfg_options)
        spec.merge_from_dict(args.cfg_options)
    if args.work_root:
        spec.work_root = args.work_root
    init_default_scope('unibench')  # the dataset registry lookups outside a Runner
    run(spec, args.steps)


if __name__ == '__main__':
    main()
