"""Train a unibench model: ``python tools/train.py CONFIG [--work-dir DIR] [--amp] [--resume]``;
``--test TASK`` then scores the last checkpoint as ``tools/test.py --task TASK`` would."""
import argparse

from mmengine.config import DictAction
from mmengine.runner import Runner

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.benchmark import score_checkpoint
from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.config import TASK_CHOICES, check_data, load_config
from unibench.engine.resume import check_checkpoint_file, resume_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or the latest in work_dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_iters=100')
    parser.add_argument('--test', choices=TASK_CHOICES,
                        help='after training, test the last checkpoint on this task here')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, options=args.cfg_options,
                      launcher=args.launcher, amp=args.amp)
    if args.resume == 'auto':  # the newest complete checkpoint of the work dir, if any
        found = resume_checkpoint(cfg.work_dir)
        cfg.resume, cfg.load_from = found is not None, found
        print(f'resuming from {found}' if found else f'nothing to resume in {cfg.work_dir}')
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, check_checkpoint_file(args.resume)
    check_data(cfg, ('train_dataloader', 'val_dataloader'))
    Runner.from_cfg(cfg).train()
    if args.test:  # in this process: one start-up (~17 s on the 2-core CPU) instead of two
        test_cfg = load_config(args.config, work_dir=cfg.work_dir, options=args.cfg_options,
                               launcher=args.launcher)
        metrics = score_checkpoint(test_cfg, last_checkpoint(cfg.work_dir), task=args.test)
        print('\n'.join(f'{k}: {v}' for k, v in metrics.items()))


if __name__ == '__main__':
    main()
