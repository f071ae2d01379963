"""Evaluate a checkpoint: ``python tools/test.py CONFIG CKPT --task TASK`` (``panoptic``,
``instance``, ``semantic`` or ``all``: every task the config has metrics for).

One checkpoint serves every task it was trained for: each task is a separate pass with that task
set on the samples (OneFormer's task token) and evaluated by that task's metrics. ``--out-dir DIR``
keeps each task's predictions in its evaluator's file format under ``DIR/<task>/``
(:mod:`unibench.engine.out_dir`).
"""
import argparse

from mmengine.config import DictAction
from mmengine.runner import Runner

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.benchmark import inference_model_cfg
from unibench.engine.config import TASK_CHOICES, check_data, load_config, set_test_tasks
from unibench.engine.out_dir import publish_out_dir, set_out_dir
from unibench.engine.resume import check_checkpoint_file


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
    tasks = set_test_tasks(cfg, args.task)
    task_dirs = set_out_dir(cfg, args.out_dir, tasks) if args.out_dir else {}
    cfg.load_from = check_checkpoint_file(args.checkpoint)
    cfg.model = inference_model_cfg(cfg.model, prompt_file=args.prompt)
    check_data(cfg, ('test_dataloader', ))
    metrics = Runner.from_cfg(cfg).test()
    print('\n'.join(f'{k}: {v}' for k, v in metrics.items()))
    for folder in publish_out_dir(task_dirs):
        print(f'predictions: {folder}')


if __name__ == '__main__':
    main()
