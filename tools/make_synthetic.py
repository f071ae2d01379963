"""Generate the embedded ``unibench-shapes`` panoptic dataset (and optionally a preview grid).

Example::

    python tools/make_synthetic.py --out data/shapes --train 1000 --val 200 --size 256 --seed 0 \
        --preview work_dirs/shapes_preview.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    from unibench.datasets.synthetic import (
        MIN_SIZE,
        PRESETS,
        generate_shapes_dataset,
        write_preview,
    )
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from unibench.datasets.synthetic import (
        MIN_SIZE,
        PRESETS,
        generate_shapes_dataset,
        write_preview,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and validate the command line (errors name the offending option)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/shapes', help='dataset root (default: %(default)s)')
    parser.add_argument('--train', type=int, default=1000, help='training images')
    parser.add_argument('--val', type=int, default=200, help='validation images')
    parser.add_argument('--size', type=int, default=256, help='image side in pixels')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed (>= 0)')
    parser.add_argument('--preset', default='default', choices=sorted(PRESETS),
                        help='what the images hold (default: %(default)s)')
    parser.add_argument('--workers', type=int, default=None,
                        help='processes (default: os.cpu_count())')
    parser.add_argument('--preview', metavar='PATH.png',
                        help='also write a grid of images with their panoptic overlays')
    parser.add_argument('--preview-only', action='store_true',
                        help='do not generate; only write --preview from the existing --out')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    args = parser.parse_args(argv)
    if args.preview_only and not args.preview:
        parser.error('--preview-only needs --preview PATH.png')
    if args.preview_only:
        return args
    if args.train < 0 or args.val < 0:
        parser.error(f'--train and --val must be >= 0 (got {args.train} and {args.val})')
    if args.train == 0 and args.val == 0:
        parser.error('--train 0 --val 0 asks for an empty dataset; request at least one image')
    if args.size < MIN_SIZE:
        parser.error(f'--size must be >= {MIN_SIZE} pixels (got {args.size})')
    if args.seed < 0:
        parser.error(f'--seed must be >= 0 (got {args.seed})')
    if args.workers is not None and args.workers < 1:
        parser.error(f'--workers must be >= 1 (got {args.workers})')
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the tool; returns the process exit status."""
    args = parse_args(argv)
    if not args.preview_only:
        result = generate_shapes_dataset(
            args.out, num_train=args.train, num_val=args.val, size=args.size, seed=args.seed,
            preset=args.preset, workers=args.workers, progress=not args.no_progress)
        total = args.train + args.val
        seconds = result['seconds']
        print(f'wrote {total} images ({args.train} train, {args.val} val, {args.size}px, '
              f'preset {args.preset}) to '
              f'{args.out} in {seconds:.1f} s ({total / seconds:.1f} images/s)')
    if args.preview:
        has_val = (Path(args.out, 'annotations', 'panoptic_val.json').exists()
                   if args.preview_only else args.val > 0)
        split = 'val' if has_val else 'train'
        print(f'preview: {write_preview(args.out, args.preview, split=split, num=8)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
