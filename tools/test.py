"""Evaluate a checkpoint: ``python tools/test.py CONFIG CKPT --task TASK`` (``panoptic``,
``instance``, ``semantic`` or ``all``: every task the config has metrics for).

One checkpoint serves every task it was trained for: each task is a separate pass with that task
set on the samples (OneFormer's task token) and evaluated by that task's metrics. ``--out-dir DIR``
keeps each task's predictions in its evaluator's file format under ``DIR/<task>/``
(:mod:`unibench.engine.out_dir`).
"""
import argparse

from mmengine.config import DictAction

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.benchmark import score_checkpoint
from unibench.engine.config import TASK_CHOICES, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--task', choices=TASK_CHOICES, default='all',
                        help='task(s) to evaluate (default: all the config has metrics for)')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out-dir', help='keep the predictions: DIR/panoptic/ (COCO panoptic '
                        'JSON + PNGs), DIR/instance/ (COCO results JSON, RLE), DIR/semantic/ '
                        '(label PNGs)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. test_dataloader.batch_size=1')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--prompt', help='painter: tuned prompt file (tools/tune_prompt.py)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, options=args.cfg_options,
                      launcher=args.launcher)
    metrics = score_checkpoint(cfg, args.checkpoint, task=args.task, out_dir=args.out_dir,
                              prompt=args.prompt)
    print('\n'.join(f'{k}: {v}' for k, v in metrics.items()))


if __name__ == '__main__':
    main()
