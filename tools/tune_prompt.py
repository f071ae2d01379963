"""In-context tuning (SegGPT §3.3): ``python tools/tune_prompt.py CONFIG CKPT --out learned.pt``.

The model is frozen; only the prompt image tensor is learned, on images of the training split.
Evaluate with ``python tools/test.py CONFIG CKPT --prompt learned.pt``.
"""
import argparse

from mmengine.config import DictAction

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.engine.config import load_config
from unibench.engine.painter_prompts import KINDS, tune_prompt


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Tune the prompt of a painter checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='prompt file to write (.pt)')
    parser.add_argument('--iters', type=int, default=100, help='optimisation steps per kind')
    parser.add_argument('--lr', type=float, default=0.01, help='Adam step (normalised pixels)')
    parser.add_argument('--kinds', nargs='+', choices=KINDS, default=list(KINDS),
                        help='prompt kinds to tune (semantic pass, instance pass)')
    parser.add_argument('--num-images', type=int, default=64, help='tuning images')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--seed', type=int, default=0, help='seed of the tuning images')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.test_cfg.num_prompts=4')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, options=args.cfg_options)
    summary = tune_prompt(cfg, args.checkpoint, args.out, iters=args.iters, lr=args.lr,
                          kinds=args.kinds, num_images=args.num_images,
                          batch_size=args.batch_size, seed=args.seed)
    for kind, s in summary.items():
        print(f'{kind}: loss {s["first_loss"]:.4f} -> {s["last_loss"]:.4f} '
              f'(prompt ids {s["prompt_ids"]})')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
