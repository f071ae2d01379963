"""Tables from fixed records against golden Markdown / LaTeX files; mean ± std; escaping.

The golden files in ``golden/`` were checked by hand against the fixed records of conftest.py:
OneFormer PQ 40 and 42 over two seeds -> 41.0 ± 1.4 (sample std); AP 0.25 / 0.26 -> 25.5 ± 0.7
in %; the separate protocol answers PQ from M2F-Panoptic (38.0), AP from M2F-Instance (30.0, not
M2F-Panoptic's 20.0) and mIoU from M2F-Semantic (52.0), and sums 3 x 100 iterations,
3 x 0.05 device-hours and 3 x 14M parameters.
"""
import math
from pathlib import Path

import pandas as pd
import pytest

from unibench.reporting import collect, summarize
from unibench.reporting.tables import (
    ablation_table,
    answering_run,
    format_mean_std,
    latex_escape,
    results_table,
    to_latex,
    to_markdown,
    write_report,
)

GOLDEN = Path(__file__).parent / 'golden'
GROUPS = dict(joint=dict(label='OneFormer, joint', runs=['oneformer_joint']),
              separate=dict(label='M2F, separate',
                            runs=['m2f_panoptic', 'm2f_instance', 'm2f_semantic']))


@pytest.fixture
def summary(records_root):
    return summarize(collect(str(records_root)))


def test_results_table_matches_the_golden_files(summary):
    table = results_table(summary, title='fixed: results')
    assert to_markdown(table) == (GOLDEN / 'results.md').read_text()
    assert to_latex(table, label='tab:fixed-results') == (GOLDEN / 'results.tex').read_text()


def test_ablation_table_matches_the_golden_files(summary):
    table = ablation_table(summary, GROUPS, title='fixed: ablation')
    assert to_markdown(table) == (GOLDEN / 'ablation.md').read_text()
    assert to_latex(table, label='tab:fixed-ablation') == (GOLDEN / 'ablation.tex').read_text()


def test_an_explicit_task_to_run_mapping_overrides_the_specialist_rule(summary):
    groups = dict(g=dict(label='panoptic model for all',
                         runs=dict(panoptic='m2f_panoptic', instance='m2f_panoptic',
                                   semantic='m2f_panoptic')))
    row = ablation_table(summary, groups).rows[0]
    assert row['instance/segm_mAP'] == pytest.approx((20.0, None))
    assert row['semantic/mIoU'] == (47.25, None) and row['checkpoints'] == (1.0, None)
    runs = [r for _, r in summary.iterrows() if r['name'] != 'oneformer_joint']
    assert answering_run(runs, task='instance', metric='instance/segm_mAP') == 'm2f_instance'
    assert answering_run(runs[:1], task='instance', metric='instance/segm_mAP') == \
        'm2f_panoptic'  # no instance specialist: whoever reports AP
    assert answering_run(runs[2:], task='panoptic', metric='panoptic/PQ') is None


def test_summarize_gives_mean_sample_std_and_seed_count(summary):
    joint = summary.set_index('name').loc['oneformer_joint']
    assert joint['n'] == 2 and joint['panoptic/PQ'] == 41.0
    assert joint['panoptic/PQ_std'] == pytest.approx(math.sqrt(2))
    assert joint['ms_per_img'] == pytest.approx(20.0)  # mean of 20, 22, 18 ms
    single = summary.set_index('name').loc['m2f_semantic']
    assert single['n'] == 1 and math.isnan(single['semantic/mIoU_std'])
    assert list(summary['name']) == ['oneformer_joint', 'm2f_panoptic', 'm2f_instance',
                                     'm2f_semantic']


def test_format_mean_std():
    assert format_mean_std(41.04, 1.414, digits=1) == '41.0 ± 1.4'
    assert format_mean_std(41.04, 1.414, digits=1, style='tex') == r'41.0 $\pm$ 1.4'
    assert format_mean_std(14.3, float('nan'), digits=1, unit='M') == '14.3M'
    assert format_mean_std(None, None, digits=1) == '–'
    assert format_mean_std(float('nan'), 1.0, digits=1, style='tex') == '--'


def test_latex_escape():
    assert latex_escape('m2f_panoptic 50% & #1') == r'm2f\_panoptic 50\% \& \#1'
    assert latex_escape('1×3 ± x') == r'1$\times$3 $\pm$ x'


def test_write_report_writes_md_tex_csv(records_root, tmp_path):
    paths = write_report(collect(str(records_root)), out_dir=str(tmp_path), suite_name='fixed',
                         ablation=GROUPS)
    names = sorted(Path(p).name for p in paths)
    assert names == ['ablation.csv', 'ablation.md', 'ablation.tex', 'records.csv',
                     'results.csv', 'results.md', 'results.tex']
    csv = pd.read_csv(tmp_path / 'ablation.csv')
    assert list(csv['Training']) == ['OneFormer, joint', 'M2F, separate']
    assert csv['AP'].tolist() == pytest.approx([25.5, 30.0])
    assert csv['PQ std'].iloc[0] == pytest.approx(math.sqrt(2))
    assert r'\label{tab:fixed-results}' in (tmp_path / 'results.tex').read_text()
    with pytest.raises(ValueError, match='no finished runs'):
        write_report(pd.DataFrame(), out_dir=str(tmp_path / 'empty'), suite_name='empty')
    assert not (tmp_path / 'empty').exists()  # nothing half-written


def test_a_report_that_fails_mid_way_leaves_each_file_old_or_new_never_half(records_root,
                                                                          tmp_path, monkeypatch):
    import unibench.utils.io as io

    frame, out = collect(str(records_root)), tmp_path / 'report'
    write_report(frame, out_dir=str(out), suite_name='fixed')
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    replace = io.os.replace

    def disk_full_at_tex(src, dst):  # the writes before results.tex land, it does not
        if str(dst).endswith('results.tex'):
            raise OSError(28, 'No space left on device')
        replace(src, dst)

    monkeypatch.setattr(io.os, 'replace', disk_full_at_tex)
    frame.loc[frame['run'] == 'm2f_instance-seed0', 'status'] = 'running'
    with pytest.raises(OSError, match='No space left'):
        write_report(frame, out_dir=str(out), suite_name='fixed')
    now = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(now) == sorted(old)  # no temporary file is left behind
    assert now['results.tex'] == old['results.tex'] and now['results.csv'] == old['results.csv']
    assert b'Not finished, left out' in now['results.md']  # written before the failure


def test_unfinished_runs_are_left_out_and_named(records_root, tmp_path):
    frame = collect(str(records_root))
    frame.loc[frame['run'] == 'm2f_instance-seed0', 'status'] = 'running'
    write_report(frame, out_dir=str(tmp_path), suite_name='fixed')
    text = (tmp_path / 'results.md').read_text()
    assert '| M2F-Instance |' not in text and '| M2F-Semantic |' in text
    assert '- Not finished, left out: m2f_instance-seed0.' in text
    assert len(pd.read_csv(tmp_path / 'records.csv')) == 5  # the raw rows keep every record
    summary = summarize(frame[frame['status'] == 'finished'])
    table = ablation_table(summary, GROUPS)
    separate = table.rows[1]
    assert separate['instance/segm_mAP'] is None and separate['device_hours'] is None
    assert separate['panoptic/PQ'] == (38.0, None) and separate['checkpoints'] == (3.0, None)
    assert 'M2F, separate: no finished run of m2f_instance; its totals are left out.' \
        in table.notes
