"""Suites: parsing, resume (only unfinished runs run), failures, --dry-run, option encoding."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mmengine.config import DictAction

from unibench.benchmark import load_suite, run_status, run_suite
from unibench.benchmark.suite import cpu_share, execute_logged, expand_tasks, format_option
from unibench.engine.hooks import read_record, update_record

REPO = Path(__file__).resolve().parents[2]
M2F = str(REPO / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-{}.py')


def write_suite(tmp_path: Path, options: dict, **extra: str) -> Path:
    text = f"""
suite_name = 'unit'
work_root = {str(tmp_path / 'work')!r}
seeds = [0]
options = {options!r}
speed = dict(num_images=2, warmup=1)
runs = [dict(name='pan', label='M2F-Panoptic', config={M2F.format('panoptic')!r}),
        dict(name='ins', config={M2F.format('instance')!r}, eval_tasks='instance',
             seeds=[0, 1], options={{'train_cfg.max_iters': 3}})]
ablation = dict(separate=dict(label='M2F', runs=dict(panoptic='pan', instance='ins')))
""" + ''.join(f'{k} = {v}\n' for k, v in extra.items())
    path = tmp_path / 'suite.py'
    path.write_text(text)
    return path


def finish(work_dir: str, tasks: list) -> None:
    """What train.py + test.py + benchmark.py speed leave in a work dir."""
    Path(work_dir).mkdir(parents=True)
    Path(work_dir, 'iter_2.pth').write_bytes(b'weights')
    Path(work_dir, 'last_checkpoint').write_text(str(Path(work_dir, 'iter_2.pth')))
    update_record(work_dir, dict(
        train=dict(status='finished', iterations=2),
        evaluations={'test:' + '+'.join(tasks): dict(
            mode='test', tasks=tasks, results={t: dict(metrics=dict(x=1.0)) for t in tasks})},
        speed={t: dict(ms_per_img=1.0) for t in tasks}))


class FakeExecutor:
    """Records the command lines and plays each tool's effect on the record."""

    def __init__(self, fail: tuple = ()) -> None:
        self.calls, self.fail = [], fail

    def __call__(self, argv: list, log: str) -> int:
        if argv[2] == 'speed-runs':  # one process times the listed runs one after another
            suite = load_suite(argv[3], work_root=argv[argv.index('--work-root') + 1])
            specs, failed = {spec.run_id: spec for spec in suite.runs}, False
            for run_id in argv[argv.index('--runs') + 1:]:
                self.calls.append((run_id, 'speed', argv))
                failed |= (run_id, 'speed') in self.fail
                if (run_id, 'speed') not in self.fail:
                    update_record(specs[run_id].work_dir, dict(speed={
                        t: dict(ms_per_img=1.0) for t in expand_tasks(specs[run_id])}))
            return int(failed)
        tool = 'speed' if argv[2] == 'speed' else Path(argv[1]).name
        if tool == 'pretrain.py':
            work_dir = argv[argv.index('--record-dir') + 1]
            self.calls.append((Path(work_dir).name, tool, argv))
            if (Path(work_dir).name, tool) in self.fail:
                return 1
            update_record(work_dir, dict(train=dict(status='finished', device_hours=0.05),
                                         pretrain=dict(config=argv[2], cached=False)))
            return 0
        work_dir = argv[argv.index('--work-dir') + 1]
        self.calls.append((Path(work_dir).name, tool, argv))
        if (Path(work_dir).name, tool) in self.fail:
            return 1
        if tool == 'train.py':
            Path(work_dir, 'iter_2.pth').write_bytes(b'weights')
            Path(work_dir, 'last_checkpoint').write_text(str(Path(work_dir, 'iter_2.pth')))
            update_record(work_dir, dict(train=dict(status='finished')))
            if '--test' not in argv:
                return 0
            if (Path(work_dir).name, 'test.py') in self.fail:  # trained, then the test failed
                return 1
        if tool in ('train.py', 'test.py'):
            task = argv[argv.index('--test' if tool == 'train.py' else '--task') + 1]
            tasks = ['panoptic', 'instance', 'semantic'] if task == 'all' else [task]
            update_record(work_dir, dict(evaluations={'test:' + '+'.join(tasks): dict(
                mode='test', results={t: dict(metrics=dict(x=1.0)) for t in tasks})}))
        else:
            tasks = argv[argv.index('--tasks') + 1:argv.index('--num-images')]
            update_record(work_dir, dict(speed={t: dict(ms_per_img=1.0) for t in tasks}))
        return 0


def test_load_suite_expands_seeds_and_merges_options(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))
    assert suite.name == 'unit' and suite.report_dir == 'reports/unit'
    assert [r.run_id for r in suite.runs] == ['pan-seed0', 'ins-seed0', 'ins-seed1']
    ins = suite.runs[2]
    assert ins.label == 'ins' and ins.eval_tasks == ('instance', ) and ins.index == 1
    assert ins.work_dir == str(tmp_path / 'work' / 'ins-seed1')
    assert ins.options['train_cfg.max_iters'] == 3  # the run's override wins
    assert suite.runs[0].options['train_cfg.max_iters'] == 2
    assert ins.cfg_options['randomness.seed'] == 1
    assert suite.ablation['separate']['runs'] == dict(panoptic='pan', instance='ins')


def test_a_suite_option_goes_to_the_runs_whose_config_has_it(tmp_path, tiny_options):
    painter = str(REPO / 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py')
    runs = (f"[dict(name='pan', config={M2F.format('panoptic')!r}), dict(name='paint', "
            f"config={painter!r}, options={{'param_scheduler.1.end': 2}})]")
    suite = load_suite(str(write_suite(tmp_path, {**tiny_options, 'param_scheduler.end': 2},
                                       runs=runs, ablation='dict()')))
    pan, paint = suite.runs
    assert pan.options['param_scheduler.end'] == 2  # a dict scheduler: the key applies
    assert 'param_scheduler.end' not in paint.options  # a list of schedulers: it does not
    assert paint.options['param_scheduler.1.end'] == 2 and paint.options['train_cfg.max_iters']
    with pytest.raises(ValueError, match=r"options \['train_cfg.max_itres'\] are keys of no"):
        load_suite(str(write_suite(tmp_path, {**tiny_options, 'train_cfg.max_itres': 2})))


def test_bad_suites_are_refused(tmp_path, tiny_options):
    with pytest.raises(ValueError, match='lacks'):
        load_suite(str(write_suite(tmp_path, tiny_options, ablation="dict(x=['nope'])")))
    cfg = repr(M2F.format('panoptic'))
    with pytest.raises(ValueError, match='eval_tasks must be'):
        load_suite(str(write_suite(
            tmp_path, tiny_options, runs=f"[dict(name='a', config={cfg}, eval_tasks='depth')]")))
    with pytest.raises(ValueError, match='unknown keys'):
        load_suite(str(write_suite(
            tmp_path, tiny_options, runs=f"[dict(name='a', config={cfg}, seed=[1])]")))
    with pytest.raises(FileNotFoundError, match=r"run 'a': config not found: c\.py"):
        load_suite(str(write_suite(tmp_path, tiny_options, runs="[dict(name='a', config='c.py')]")))
    with pytest.raises(ValueError, match='run names repeat'):
        load_suite(str(write_suite(
            tmp_path, tiny_options, runs=f"[dict(name='a', config={cfg}), dict(name='a', "
                                         f"config={cfg})]")))


def test_run_resumes_only_unfinished_runs(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))
    pan, ins0, ins1 = suite.runs
    finish(ins0.work_dir, ['instance'])
    assert run_status(ins0).done
    assert run_status(pan).todo == ['train', 'test:all', 'speed']

    lines, execute = [], FakeExecutor()
    results = run_suite(suite, execute=execute, echo=lines.append)
    # Each training tests in its own process (tools/train.py --test), then the run is timed.
    assert [(run, tool) for run, tool, _ in execute.calls] == [
        ('pan-seed0', 'train.py'), ('pan-seed0', 'speed'),
        ('ins-seed1', 'train.py'), ('ins-seed1', 'speed')]
    assert [r['ran'] for r in results] == [['train', 'test:all', 'speed'], [],
                                           ['train', 'test:instance', 'speed']]
    assert any(line.startswith('ins-seed0: already done') for line in lines)
    assert sum(': done in ' in line for line in lines) == 2

    train_argv = execute.calls[2][2]
    assert train_argv[2] == ins1.config and '--resume' not in train_argv
    assert train_argv[train_argv.index('--test') + 1] == 'instance'
    options = train_argv[train_argv.index('--cfg-options') + 1:]
    assert 'randomness.seed=1' in options and 'train_cfg.max_iters=3' in options
    assert read_record(ins1.work_dir)['suite']['run'] == 'ins-seed1'

    again = FakeExecutor()
    run_suite(suite, execute=again, echo=lines.append)
    assert again.calls == []  # everything is done now


def test_the_shared_pretraining_runs_first_and_is_a_row_of_its_own(tmp_path, tiny_options):
    pretrain = 'configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py'
    suite = load_suite(str(write_suite(
        tmp_path, tiny_options, pretrain=f"dict(config={pretrain!r}, label='Pre-training')")))
    assert suite.run_ids[0] == 'pretrain'
    lines, execute = [], FakeExecutor()
    run_suite(suite, execute=execute, echo=lines.append)
    assert [tool for _, tool, _ in execute.calls][:2] == ['pretrain.py', 'train.py']
    record = read_record(str(tmp_path / 'work' / 'pretrain'))
    assert record['suite']['label'] == 'Pre-training' and record['suite']['run'] == 'pretrain'
    assert lines[0].startswith('pretrain: trained in ')
    from unibench.reporting import collect
    frame = collect(suite.work_root, runs=suite.run_ids)
    assert list(frame['run'])[0] == 'pretrain' and frame['device_hours'][0] == 0.05
    # Runs whose models name none of the suite's pre-trainings wait for all of them: a failed
    # one leaves them unstarted.
    (tmp_path / 'b').mkdir()
    failing = load_suite(str(write_suite(
        tmp_path / 'b', tiny_options, pretrain=f"dict(config={pretrain!r})")))
    results = run_suite(failing, execute=FakeExecutor(fail={('pretrain', 'pretrain.py')}),
                        echo=lines.append)
    assert {r['failed'] for r in results} == {'pretrain'}
    with pytest.raises(ValueError, match='pretrain must be'):
        load_suite(str(write_suite(tmp_path, tiny_options, pretrain="dict(config='nope.py')")))


def test_several_pretrainings_run_before_any_training_each_a_row(tmp_path, tiny_options):
    resnet = 'configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py'
    vit = 'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py'
    both = (f"[dict(config={resnet!r}, label='ResNet'), "
            f"dict(name='pretrain_vit', config={vit!r}, label='ViT')]")
    suite = load_suite(str(write_suite(tmp_path, tiny_options, pretrain=both, jobs='2')))
    assert suite.run_ids[:2] == ['pretrain', 'pretrain_vit']
    barrier = threading.Barrier(2, timeout=10)

    class Together(FakeExecutor):  # the two pre-trainings must run at once to pass
        def __call__(self, argv, log):
            if Path(argv[1]).name == 'pretrain.py':
                barrier.wait()
            return super().__call__(argv, log)

    execute = Together()
    run_suite(suite, execute=execute, echo=lambda line: None)
    tools = [tool for _, tool, _ in execute.calls]
    assert sorted(tools[:2]) == ['pretrain.py'] * 2 and 'pretrain.py' not in tools[2:]
    from unibench.reporting import collect
    frame = collect(suite.work_root, runs=suite.run_ids)
    assert list(frame['run'])[:2] == ['pretrain', 'pretrain_vit']
    assert list(frame['label'])[:2] == ['ResNet', 'ViT']
    # One at a time with jobs=1; the failed one is named and nothing trains.
    (tmp_path / 'b').mkdir()
    serial = load_suite(str(write_suite(tmp_path / 'b', tiny_options, pretrain=both)))
    execute = FakeExecutor(fail={('pretrain_vit', 'pretrain.py')})
    results = run_suite(serial, execute=execute, echo=lambda line: None)
    assert {r['failed'] for r in results} == {'pretrain_vit'}
    assert [tool for _, tool, _ in execute.calls] == ['pretrain.py'] * 2
    twice = f"[dict(config={resnet!r}), dict(config={vit!r})]"  # both named 'pretrain'
    with pytest.raises(ValueError, match='names must be unique'):
        load_suite(str(write_suite(tmp_path, tiny_options, pretrain=twice)))
    clash = f"[dict(name='pan', config={vit!r})]"
    with pytest.raises(ValueError, match='differ from the run names'):
        load_suite(str(write_suite(tmp_path, tiny_options, pretrain=clash)))


def test_a_failed_run_does_not_stop_the_suite(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))
    lines, execute = [], FakeExecutor(fail={('pan-seed0', 'train.py')})
    results = run_suite(suite, execute=execute, echo=lines.append)
    assert results[0]['failed'] == 'train' and results[0]['ran'] == ['train']
    assert results[1]['failed'] is None and results[2]['failed'] is None
    assert any('pan-seed0: FAILED at train (exit 1)' in line for line in lines)
    # An interrupted training resumes from its checkpoint the next time.
    checkpoint = Path(suite.runs[0].work_dir, 'iter_1.pth')
    checkpoint.write_bytes(b'weights')
    Path(suite.runs[0].work_dir, 'last_checkpoint').write_text(str(checkpoint))
    retry = FakeExecutor()
    run_suite(suite, execute=retry, echo=lines.append)
    assert [c[1] for c in retry.calls] == ['train.py', 'speed']
    assert '--resume' in retry.calls[0][2] and '--test' in retry.calls[0][2]


def test_a_test_that_fails_after_its_training_is_the_tests_failure(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))
    lines = []
    results = run_suite(suite, execute=FakeExecutor(fail={('pan-seed0', 'test.py')}),
                        echo=lines.append)
    assert results[0]['failed'] == 'test:all' and results[0]['ran'] == ['train', 'test:all']
    assert any('pan-seed0: FAILED at test:all (exit 1)' in line for line in lines), lines
    assert run_status(suite.runs[0]).todo == ['test:all', 'speed']
    # The next time only the test runs, in a process of its own, on the last checkpoint.
    retry = FakeExecutor()
    run_suite(suite, execute=retry, echo=lines.append)
    assert [c[:2] for c in retry.calls] == [('pan-seed0', 'test.py'), ('pan-seed0', 'speed')]
    test_argv = retry.calls[0][2]
    assert test_argv[3].endswith('iter_2.pth') and test_argv[test_argv.index('--task') + 1] == 'all'
    assert 'randomness.seed=0' in test_argv[test_argv.index('--cfg-options') + 1:]


def test_a_run_whose_options_changed_is_stale_not_rerun(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))
    run_suite(suite, execute=FakeExecutor(), echo=lambda line: None)
    changed = load_suite(str(write_suite(
        tmp_path, {**tiny_options, 'train_cfg.max_iters': 5})))
    assert run_status(changed.runs[0]).stale == 'options changed since it ran'
    lines, execute = [], FakeExecutor()
    results = run_suite(changed, execute=execute, echo=lines.append)
    # The instance runs override max_iters themselves: their options did not change.
    assert execute.calls == [] and [r['failed'] for r in results] == ['stale', None, None]
    assert lines[0].startswith('pan-seed0: skipped, options changed since it ran; delete ')


def test_a_second_run_of_the_same_work_root_is_refused(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))

    def nested(argv: list, log: str) -> int:
        with pytest.raises(RuntimeError, match='another benchmark run is using'):
            run_suite(suite, execute=FakeExecutor(), echo=lambda line: None)
        return 1

    run_suite(suite, execute=nested, echo=lambda line: None)


def test_dry_run_lists_what_would_run_and_runs_nothing(tmp_path, tiny_options):
    path = write_suite(tmp_path, tiny_options)
    finish(load_suite(str(path)).runs[1].work_dir, ['instance'])
    out = subprocess.run([sys.executable, str(REPO / 'tools/benchmark.py'), 'run', str(path),
                          '--dry-run'], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].split()[:5] == ['pan-seed0', 'todo:', 'train,', 'test:all,', 'speed']
    assert lines[1].split()[:2] == ['ins-seed0', 'done']
    assert lines[2].split()[:5] == ['ins-seed1', 'todo:', 'train,', 'test:instance,', 'speed']
    assert lines[3] == '1/3 runs done; 2 to run'
    assert not (tmp_path / 'work' / 'pan-seed0').exists()


@pytest.mark.parametrize('value', [(64, 64), [1, 2], (3, ), 'a/b/', None, True, 2, 0.5])
def test_options_survive_the_command_line(value):
    parsed = DictAction._parse_iterable(format_option(value))
    assert parsed == value


def test_a_diverged_run_is_reported_with_its_reason_and_the_suite_goes_on(tmp_path,
                                                                          tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options)))

    class Diverging(FakeExecutor):
        def __call__(self, argv: list, log: str) -> int:
            work_dir = argv[argv.index('--work-dir') + 1] if '--work-dir' in argv else ''
            if Path(work_dir).name == 'pan-seed0' and Path(argv[1]).name == 'train.py':
                update_record(work_dir, dict(train=dict(
                    status='diverged', reason='non-finite loss at iteration 3: loss=nan')))
                return 1
            return super().__call__(argv, log)

    lines = []
    results = run_suite(suite, execute=Diverging(), echo=lines.append)
    assert results[0]['failed'] == 'train'
    assert any('pan-seed0: FAILED at train (exit 1: non-finite loss at iteration 3: loss=nan)'
               in line for line in lines), lines
    assert [r['failed'] for r in results[1:]] == [None, None]


def test_jobs_train_runs_at_once_and_time_them_alone_afterwards(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options, jobs='2')))
    assert suite.jobs == 2
    both_training = threading.Barrier(2, timeout=20)  # passes only if two trainings overlap

    class Overlapping(FakeExecutor):
        def __call__(self, argv: list, log: str) -> int:
            if Path(argv[1]).name == 'train.py' and '--work-dir' in argv and \
                    Path(argv[argv.index('--work-dir') + 1]).name in ('pan-seed0', 'ins-seed0'):
                both_training.wait()
            return super().__call__(argv, log)

    execute = Overlapping()
    results = run_suite(suite, execute=execute, echo=lambda line: None)
    assert [r['failed'] for r in results] == [None, None, None]
    assert [r['ran'] for r in results] == [['train', 'test:all', 'speed'],
                                           ['train', 'test:instance', 'speed'],
                                           ['train', 'test:instance', 'speed']]
    tools = [(run, tool) for run, tool, _ in execute.calls]
    # The timings come last, one run after the other in suite order, in one process.
    assert tools[-3:] == [('pan-seed0', 'speed'), ('ins-seed0', 'speed'), ('ins-seed1', 'speed')]
    assert execute.calls[-1][2][2:] == ['speed-runs', suite.path, '--work-root', suite.work_root,
                                        '--runs', 'pan-seed0', 'ins-seed0', 'ins-seed1']
    assert sorted(tools[:-3]) == [(r, 'train.py') for r in ('ins-seed0', 'ins-seed1', 'pan-seed0')]
    with pytest.raises(ValueError, match="jobs must be a positive integer, got 0"):
        load_suite(str(write_suite(tmp_path, tiny_options, jobs='0')))


def test_a_run_whose_timing_fails_is_named_and_the_others_are_timed(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options, jobs='2')))
    lines = []
    results = run_suite(suite, execute=FakeExecutor(fail={('ins-seed0', 'speed')}),
                        echo=lines.append)
    assert [r['failed'] for r in results] == [None, 'speed', None]
    assert [r['ran'][-1] for r in results] == ['speed'] * 3
    assert run_status(suite.runs[1]).todo == ['speed'] and run_status(suite.runs[2]).done
    assert any(line.startswith('speed: 2 runs timed') and
               "FAILED (exit 1): ['ins-seed0']" in line for line in lines), lines


def test_one_job_at_a_time_never_overlaps(tmp_path, tiny_options):
    suite = load_suite(str(write_suite(tmp_path, tiny_options, jobs='2')))
    running, overlaps = [], []

    class Counting(FakeExecutor):
        def __call__(self, argv: list, log: str) -> int:
            running.append(argv)
            overlaps.append(len(running))
            time.sleep(0.05)
            code = super().__call__(argv, log)
            running.remove(argv)
            return code

    run_suite(suite, execute=Counting(), echo=lambda line: None, jobs=1)
    assert max(overlaps) == 1


def test_a_job_gets_its_share_of_the_cores(tmp_path):
    log = tmp_path / 'logs' / 'step.log'
    argv = [sys.executable, '-c', 'import os; print("threads", os.environ["OMP_NUM_THREADS"])']
    assert execute_logged(argv, str(log), threads=cpu_share(2)) == 0
    assert f'threads {max(1, len(os.sched_getaffinity(0)) // 2)}' in log.read_text()
    assert cpu_share(10 ** 6) == 1


def test_the_shapes_suite_is_the_demo_with_three_seeds_and_three_times_the_schedule():
    demo = load_suite(str(REPO / 'configs/benchmarks/demo.py'))
    shapes = load_suite(str(REPO / 'configs/benchmarks/shapes.py'))
    assert demo.jobs == shapes.jobs == 2 and shapes.pretrain == demo.pretrain
    assert [r.run_id for r in shapes.runs] == [f'{r.name}-seed{k}' for r in demo.runs
                                               for k in (0, 1, 2)]
    for run in shapes.runs:
        iters = run.options['train_cfg.max_iters']
        assert iters == 900 and run.options['train_cfg.val_interval'] == 300
        assert run.options['train_cfg.val_begin'] == 1  # the demo: no validation (the test)
        if run.name == 'painter':  # its warm-up + cosine end with the run
            assert run.options['param_scheduler.1.end'] == iters
            assert run.options['param_scheduler.0.end'] == run.options[
                'param_scheduler.1.begin'] == iters // 5
        else:
            assert run.options['param_scheduler.end'] == iters
    assert {r.options['train_cfg.max_iters'] for r in demo.runs} == {300}
    assert {r.options['train_cfg.val_begin'] for r in demo.runs} == {301}
    assert shapes.ablation == demo.ablation and shapes.report_dir == 'reports/shapes'


def test_a_run_starts_as_soon_as_the_pretraining_it_loads_is_built(tmp_path):
    # The painter loads only the ViT's pre-training: it must train while the ResNet's is still
    # running (which here ends only once the painter has started; the old order, every
    # pre-training before any run, would time out). The Mask2Former run waits for the ResNet's.
    resnet = 'configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py'
    vit = 'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py'
    path = tmp_path / 'suite.py'
    path.write_text(f"""
suite_name = 'unit'
work_root = {str(tmp_path / 'work')!r}
options = {{'train_cfg.max_iters': 2}}
speed = None
jobs = 2
pretrain = [dict(config={resnet!r}), dict(name='pretrain_vit', config={vit!r})]
runs = [dict(name='m2f', eval_tasks='panoptic',
             config='configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'),
        dict(name='painter', config='configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py',
             eval_tasks='semantic')]
""")
    suite = load_suite(str(path))
    painter_started, order = threading.Event(), []

    class ResNetLast(FakeExecutor):
        def __call__(self, argv, log):
            tool = Path(argv[1]).name
            where = argv[argv.index('--record-dir' if tool == 'pretrain.py' else '--work-dir') + 1]
            order.append((Path(where).name, tool))
            if (Path(where).name, tool) == ('painter-seed0', 'train.py'):
                painter_started.set()
            if (Path(where).name, tool) == ('pretrain', 'pretrain.py'):
                assert painter_started.wait(timeout=20), 'the painter waited for the ResNet'
            return super().__call__(argv, log)

    results = run_suite(suite, execute=ResNetLast(), echo=lambda line: None)
    assert [r['failed'] for r in results] == [None, None]
    assert order.index(('pretrain', 'pretrain.py')) < order.index(('m2f-seed0', 'train.py'))
    # A failed pre-training blocks only the runs that load it.
    lines = []
    failing = load_suite(str(path), work_root=str(tmp_path / 'again'))
    results = run_suite(failing, execute=FakeExecutor(fail={('pretrain', 'pretrain.py')}),
                        echo=lines.append)
    assert [r['failed'] for r in results] == ['pretrain', None]
    assert 'm2f-seed0: not run, it needs pretrain, which failed' in lines
