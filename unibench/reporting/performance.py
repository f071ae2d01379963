"""docs/performance.md: the peer-speed record (:mod:`unibench.benchmark.peer_suite`) as a table
of ratios and a figure."""
import io
from pathlib import Path
from typing import Any, Dict, List

from unibench.utils.io import atomic_write_bytes, atomic_write_text

ORDER = ('unibench', 'mmdet', 'transformers')
# The generated part of the report ends here; what follows (analyses written by hand) is kept
# when the table is regenerated.
MARKER = '<!-- Generated above by tools/benchmark.py peers; written by hand below (kept). -->'
LABELS = dict(unibench='unibench', mmdet='mmdet 3.3', transformers='HF transformers')


def write_performance(records: List[Dict[str, Any]], out_md: str, *,
                      command: str) -> List[str]:
    """Writes the table (one section per device record) and ``<out>.png``; returns the paths.

    Text after :data:`MARKER` in an existing ``out_md`` is kept below the new table.
    """
    lines = ['# Training and inference speed beside the peers', '',
             f'Reproduce: `{command}`. Every implementation is built from the same unibench '
             'config (backbone, widths, queries, layers, points, classes) in one process and '
             'timed on the same shapes images and targets; training steps are interleaved '
             'across implementations and the median is reported. A train step is '
             'preprocessing, forward, loss, backward, gradient clipping and the AdamW update, '
             'each framework\'s own way (mmengine `OptimWrapper` for unibench and mmdet; '
             '`torch.optim.AdamW` + `clip_grad_norm_` for transformers). Inference is one '
             'image with panoptic post-processing. Peak memory: peak RSS of a fresh process '
             'running two training steps (CPU; it includes the ~0.5 GiB Python/library '
             'baseline) or CUDA\'s peak allocation. Ratios: the fastest peer\'s time over '
             'unibench\'s (> 1: unibench is faster).', '']
    for record in records:
        lines += [f"## {record['device'].upper()}: {record['machine']}", '',
                  'Versions: ' + ', '.join(f'{k} {v}' for k, v in record['versions'].items()),
                  '', '| Setting | Implementation | Params | Train s/step | Train img/s | '
                  'Inference ms/img | Peak mem. (GiB) | Train × | Inference × |',
                  '|:--|:--|--:|--:|--:|--:|--:|--:|--:|']
        for setting in record['settings']:
            res = setting['results']
            peers = [k for k in ORDER if k in res and k != 'unibench']
            best_train = min(res[k]['train_s'] for k in peers)
            best_infer = min(res[k]['infer_ms'] for k in peers)
            for name in (k for k in ORDER if k in res):
                r = res[name]
                ratio = name == 'unibench'
                row = '| {} | {} | {:.2f}M | {:.3f} | {:.1f} | {:.1f} | {} | {} | {} |'
                lines.append(row.format(
                    setting['name'], LABELS[name], r['params'] / 1e6, r['train_s'],
                    r['train_img_s'], r['infer_ms'],
                    f"{r['peak_gib']:.2f}" if 'peak_gib' in r else '–',
                    f"{best_train / r['train_s']:.2f}" if ratio else '',
                    f"{best_infer / r['infer_ms']:.2f}" if ratio else ''))
        notes = sorted({n for s in record['settings'] for r in s['results'].values()
                        for n in r.get('notes', [])})
        lines += [''] + [f'- {n}' for n in notes] + [''] + _deform_attn_table(record)
    figure = str(Path(out_md).with_suffix('.png'))
    _figure(records, figure)
    lines += [f'![train and inference time per implementation]({Path(figure).name})', '',
              MARKER]
    kept = ''
    if Path(out_md).exists():
        old = Path(out_md).read_text()
        kept = old.split(MARKER, 1)[1] if MARKER in old else ''
    atomic_write_text(out_md, '\n'.join(lines) + (kept or '\n'))
    return [out_md, figure]


def _deform_attn_table(record: Dict[str, Any]) -> List[str]:
    """The pixel decoder's attention core alone (CPU records), mmcv's path and unibench's."""
    rows = [s for s in record['settings'] if 'deform_attn' in s]
    if not rows:
        return []
    lines = ['Deformable attention alone (one encoder layer\'s core at the setting\'s shapes: '
             'mmcv\'s CPU path, which the mmdet peer runs, and unibench\'s fused one; forward + '
             'backward with a gradient of ones, interleaved, median):', '',
             '| Setting | mmcv fwd + bwd (ms) | unibench fwd + bwd (ms) | × |', '|:--|--:|--:|--:|']
    for setting in rows:
        ref, ours = setting['deform_attn']['mmcv'], setting['deform_attn']['unibench']
        total = [r['forward_ms'] + r['backward_ms'] for r in (ref, ours)]
        lines.append(f"| {setting['name']} | {ref['forward_ms']:.1f} + {ref['backward_ms']:.1f} "
                     f"| {ours['forward_ms']:.1f} + {ours['backward_ms']:.1f} "
                     f'| {total[0] / total[1]:.2f} |')
    return lines + ['']


def _figure(records: List[Dict[str, Any]], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    settings = [(r['device'], s) for r in records for s in r['settings']]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.6 * len(settings) + 2))
    for ax, key, title in ((axes[0], 'train_s', 'train step (s)'),
                           (axes[1], 'infer_ms', 'inference (ms/img)')):
        y = np.arange(len(settings))
        for i, name in enumerate(ORDER):
            vals = [s['results'][name][key] if name in s['results'] else 0 for _, s in settings]
            ax.barh(y + (i - 1) * 0.27, vals, height=0.27, label=LABELS[name])
        ax.set_yticks(y, [f'{s["name"]} [{d}]' for d, s in settings], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
