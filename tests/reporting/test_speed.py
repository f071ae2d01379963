"""Inference speed: batch 1, warm-up excluded, one entry per task, merged into the record."""
from pathlib import Path

import pytest
import torch

from unibench.benchmark import load_suite, measure_speed, time_runs, write_speed
from unibench.engine.config import load_config
from unibench.engine.hooks import read_record, update_record
from unibench.registry import MODELS
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


def test_time_runs_times_each_trained_run_and_names_the_one_that_fails(tiny_options, tmp_path,
                                                                      capsys):
    suite_file = tmp_path / 'suite.py'
    suite_file.write_text(
        f"work_root = {str(tmp_path / 'work')!r}\noptions = {tiny_options!r}\n"
        "speed = dict(num_images=2, warmup=1)\n"
        f"runs = [dict(name='untrained', config={str(M2F_PANOPTIC)!r}, eval_tasks='semantic'),\n"
        f"        dict(name='pan', config={str(M2F_PANOPTIC)!r}, eval_tasks='semantic')]\n")
    suite = load_suite(str(suite_file))
    spec = suite.runs[1]
    cfg = load_config(spec.config, work_dir=spec.work_dir, options=spec.cfg_options)
    ckpt = Path(spec.work_dir, 'iter_2.pth')
    ckpt.parent.mkdir(parents=True)
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(), meta={}), ckpt)
    Path(spec.work_dir, 'last_checkpoint').write_text(str(ckpt))

    # The run without a checkpoint fails first; the next one is still timed.
    assert time_runs(suite, ['untrained-seed0', 'pan-seed0']) == ['untrained-seed0']
    out = capsys.readouterr().out
    assert 'untrained-seed0: speed FAILED' in out and 'no checkpoint in' in out
    timed = read_record(spec.work_dir)['speed']
    assert list(timed) == ['semantic'] and timed['semantic']['num_images'] == 2
    assert timed['semantic']['warmup'] == 1 and timed['semantic']['checkpoint'] == str(ckpt)
    assert 'speed' not in read_record(suite.runs[0].work_dir)
    with pytest.raises(ValueError, match=r"suite.py: no runs \['nope-seed0'\]"):
        time_runs(suite, ['nope-seed0'])
