"""Inference speed: batch 1, warm-up excluded, one entry per task, merged into the record."""
from pathlib import Path

import pytest

from unibench.benchmark import measure_speed, write_speed
from unibench.engine.hooks import read_record, update_record
from unibench.testing import tiny_config

M2F_PANOPTIC = (Path(__file__).resolve().parents[2]
                / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py')


def test_speed_per_task_into_the_record(tiny_shapes, tmp_path):
    cfg = tiny_config(str(M2F_PANOPTIC), data_root=tiny_shapes, work_dir=tmp_path)
    results = measure_speed(cfg, tasks=['semantic', 'instance'], num_images=3, warmup=1,
                            device='cpu')
    assert list(results) == ['semantic', 'instance']
    for result in results.values():
        assert result['num_images'] == 3 and result['warmup'] == 1
        assert result['batch_size'] == 1 and result['ms_per_img'] > 0
        assert result['median_ms'] > 0 and result['std_ms'] >= 0
        assert result['input_shape'][0] == 3 and result['checkpoint'] is None

    update_record(str(tmp_path), dict(speed=dict(panoptic=dict(ms_per_img=1.0))))
    write_speed(str(tmp_path), results)
    assert sorted(read_record(str(tmp_path))['speed']) == ['instance', 'panoptic', 'semantic']
    with pytest.raises(ValueError):
        measure_speed(cfg, num_images=0)
