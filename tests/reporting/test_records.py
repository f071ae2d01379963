"""collect: fixed records -> one row per run and seed, in suite order."""
import json
import math

import pandas as pd

from unibench.reporting import collect, find_records, flatten_record, write_csv


def test_collect_gives_one_row_per_record_in_suite_order(records_root, tmp_path):
    frame = collect(str(records_root))
    assert list(frame['run']) == ['oneformer_joint-seed0', 'oneformer_joint-seed1',
                                  'm2f_panoptic-seed0', 'm2f_instance-seed0',
                                  'm2f_semantic-seed0']
    joint = frame.iloc[1]
    assert joint['name'] == 'oneformer_joint' and joint['seed'] == 1
    assert joint['tasks_trained'] == 'panoptic+instance+semantic'
    assert joint['panoptic/PQ'] == 42.0 and joint['instance/segm_mAP'] == 0.26  # raw units
    assert joint['params_inference'] == 15_000_000 and joint['params_train'] == 15_001_000
    assert joint['flops_input'] == '1x3x128x128' and joint['device_hours'] == 0.10
    assert joint['peak_memory_kind'] == 'cpu_peak_rss' and joint['metrics_source'] == 'test'
    assert joint['ms_per_img/instance'] == 22.0
    instance = frame.set_index('name').loc['m2f_instance']
    assert math.isnan(instance['panoptic/PQ']) and instance['instance/segm_mAP'] == 0.3

    path = write_csv(frame, str(tmp_path / 'out' / 'records.csv'))
    again = pd.read_csv(path)
    assert list(again.columns) == list(frame.columns) and len(again) == 5


def test_find_records_and_an_empty_root(records_root, tmp_path):
    assert len(find_records(str(records_root))) == 5
    assert collect(str(tmp_path / 'nothing')).empty


def test_test_results_win_over_validation_and_the_latest_test_wins(tmp_path):
    def evaluation(mode, when, miou):
        return dict(mode=mode, tasks=['semantic'], evaluated_at=when,
                    results=dict(semantic=dict(task_token='semantic',
                                               metrics=dict(mIoU=miou))))

    record = dict(evaluations={
        'val:semantic': evaluation('val', '2026-01-03T00:00:00', 99.0),
        'test:semantic': evaluation('test', '2026-01-01T00:00:00', 10.0),
        'test:panoptic+semantic': evaluation('test', '2026-01-02T00:00:00', 20.0)})
    row = flatten_record(record, work_dir=str(tmp_path / 'run'))
    assert row['semantic/mIoU'] == 20.0 and row['metrics_source'] == 'test'
    assert row['run'] == 'run' and row['name'] == 'run'  # no suite section: the folder name

    only_val = dict(evaluations={'val:semantic': evaluation('val', '2026', 5.0)})
    row = flatten_record(only_val, work_dir=str(tmp_path))
    assert row['semantic/mIoU'] == 5.0 and row['metrics_source'] == 'val'
    (tmp_path / 'record.json').write_text(json.dumps(only_val))
    assert collect(str(tmp_path))['semantic/mIoU'].tolist() == [5.0]
