"""Figures: files of a paper column's width, curves read from scalars.json, painted masks."""
import json
from pathlib import Path

import numpy as np
from PIL import Image

from unibench.benchmark.predictions import dump_predictions
from unibench.reporting import collect
from unibench.reporting.figures import (
    COLUMN_WIDTH,
    _paint_ids,
    qualitative_figure,
    read_scalars,
    write_figures,
)
from unibench.testing import tiny_config

M2F_PANOPTIC = (Path(__file__).resolve().parents[2]
                / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py')

GROUPS = dict(separate=dict(label='M2F x 3', runs=['m2f_panoptic', 'm2f_instance',
                                                   'm2f_semantic']))


def test_figures_from_fixed_records(records_root, tmp_path):
    paths = write_figures(collect(str(records_root)), out_dir=str(tmp_path), groups=GROUPS)
    names = sorted(p.split('/')[-1] for p in paths)
    assert names == ['cost.pdf', 'cost.png', 'curves.pdf', 'curves.png', 'scores.pdf',
                     'scores.png']
    for name in ('cost', 'scores'):
        with Image.open(tmp_path / f'{name}.png') as png:
            width = png.size[0] / 300  # savefig.dpi
        assert 0.8 * COLUMN_WIDTH < width < 1.1 * COLUMN_WIDTH
        assert (tmp_path / f'{name}.pdf').read_bytes().startswith(b'%PDF')


def test_read_scalars_places_validation_at_the_preceding_iteration(tmp_path):
    train_session = tmp_path / '20260101_000000' / 'vis_data'
    test_session = tmp_path / '20260102_000000' / 'vis_data'
    for folder in (train_session, test_session):
        folder.mkdir(parents=True)
    lines = [dict(loss=3.0, iter=10, step=10), dict(loss=2.0, iter=20, step=20),
             {'panoptic/PQ': 5.0, 'step': 0},  # LoggerHook(log_metric_by_epoch=True): epoch
             dict(loss=1.0, iter=30, step=30), {'panoptic/PQ': 9.0, 'step': 0}]
    (train_session / 'scalars.json').write_text('\n'.join(json.dumps(x) for x in lines))
    (test_session / 'scalars.json').write_text(json.dumps({'panoptic/PQ': 1.0, 'step': 0}))
    train, val = read_scalars(str(tmp_path))
    assert train['iter'].tolist() == [10, 20, 30] and train['loss'].tolist() == [3, 2, 1]
    assert val['iter'].tolist() == [20, 30] and val['panoptic/PQ'].tolist() == [5.0, 9.0]


def test_painted_ids_colour_classes_and_mark_edges():
    palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    ids = np.array([[0, 0, 1 + 1000], [0, 0, 1 + 1000], [2, 2, 2]])  # 2 = void
    image = _paint_ids(ids, palette, num_classes=2)
    assert image.shape == (3, 3, 3) and image.dtype == np.uint8
    assert image[0, 0].tolist() == [255, 0, 0]  # class 0, inside its region
    assert image[2, 0].tolist() == [0, 0, 0]  # void is black
    assert image[0, 2, 2] > 0 and image[0, 2, 0] == 0  # the class-1 instance is blue
    assert image[0, 2].sum() < 255  # and darkened on its edge


def test_qualitative_grid_draws_the_dumped_predictions(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F_PANOPTIC), data_root=tiny_shapes, work_dir=tmp_path)
    dump = dump_predictions(cfg, checkpoint=None, task='panoptic', indices=[0, 1],
                            out=str(tmp_path / 'pred.npz'))
    with np.load(dump) as data:
        assert data['indices'].tolist() == [0, 1] and data['image_0'].shape == (64, 64, 3)
        assert data['ids_1'].shape == data['truth_1'].shape == (64, 64)
    paths = qualitative_figure([dict(label='random M2F', predictions=dump)],
                               task='panoptic', out_base=str(tmp_path / 'q'))
    assert [p.split('/')[-1] for p in paths] == ['q.png', 'q.pdf']
    with Image.open(paths[0]) as png:
        assert png.size[0] == round(COLUMN_WIDTH * 300)
