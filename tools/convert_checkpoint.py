"""Convert a released checkpoint to a unibench checkpoint.

    python tools/convert_checkpoint.py SRC DST --config CONFIG [--from official|hf]

SRC: an official detectron2 ``.pkl`` / ``.pth`` (Mask2Former, OneFormer), ``seggpt_vit_large.pth``
(SegGPT), or a transformers model folder / weights file (``facebook/mask2former-*``,
``shi-labs/oneformer_*``, ``BAAI/seggpt-vit-large``). DST is written in mmengine's format, so
``tools/test.py CONFIG DST --task all`` evaluates it and ``load_from=DST`` or a backbone
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`` start from it. A source
that does not fit CONFIG fails with the missing / unexpected keys and shape mismatches.
"""
import argparse
import os.path as osp
import sys

from unibench.convert import SOURCES, convert_checkpoint, write_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Convert an official or transformers '
                                     'checkpoint to unibench names')
    parser.add_argument('src', help='source file (.pkl/.pth/.bin/.safetensors) or HF folder')
    parser.add_argument('dst', help='unibench checkpoint to write (.pth)')
    parser.add_argument('--config', required=True, help='unibench config of the model')
    parser.add_argument('--from', dest='source', choices=SOURCES, default=None,
                        help='source format (default: hf for a folder, .bin or .safetensors; '
                        'official otherwise)')
    return parser.parse_args()


def guess_source(src: str) -> str:
    """``hf`` for a transformers folder or weights file, ``official`` otherwise."""
    return 'hf' if osp.isdir(src) or src.endswith(('.bin', '.safetensors')) else 'official'


def main() -> int:
    args = parse_args()
    source = args.source or guess_source(args.src)
    try:
        state = convert_checkpoint(args.src, config=args.config, source=source)
    except (ValueError, FileNotFoundError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    write_checkpoint(args.dst, state, meta=dict(converted_from=osp.abspath(args.src),
                                                source=source, config=args.config))
    print(f'wrote {args.dst}: {len(state)} tensors from {args.src} ({source})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
