"""Composed runs: ``depends`` in suite files, the compose step, summed cost, the trained-models
column, and one real tiny suite of two specialists and their panoptic combination."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from mmengine.config import Config

from unibench.benchmark import load_suite, run_status, run_suite
from unibench.benchmark.compose import compose_run, dependency_options
from unibench.benchmark.predictions import ensure_dump
from unibench.engine.checkpoint import last_checkpoint
from unibench.engine.config import load_config
from unibench.engine.hooks import read_record, update_record
from unibench.registry import MODELS
from unibench.reporting import collect, summarize
from unibench.reporting.figures import qualitative_figure
from unibench.reporting.tables import ablation_table, results_table, write_report
from unibench.testing import TINY_MODELS, tiny_config

REPO = Path(__file__).resolve().parents[2]
SEM = str(REPO / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-semantic.py')
INS = str(REPO / 'configs/panet/panet_r18_fpn_1xb8-3k_shapes-instance.py')
PAIR = str(REPO / 'configs/specialist_panoptic/pspnet-panet_r18_shapes-panoptic.py')
DEPENDS = dict(sem='model.semantic', ins='model.instance')


def write_suite(tmp_path: Path, runs: str = '', common: dict = None, sem_config: str = SEM,
                speed: str = 'dict(num_images=2, warmup=1)', **options) -> Path:
    """A suite of a semantic run (``sem_config``), an instance run and their combination (or
    ``runs``), timed by ``speed`` (a suite file's ``speed``, ``'None'``: not timed)."""
    runs = runs or (
        f"[dict(name='sem', config={sem_config!r}, eval_tasks='semantic', "
        f"options={options.get('sem', {})!r}),\n"
        f" dict(name='ins', config={INS!r}, eval_tasks='instance', "
        f"options={options.get('ins', {})!r}),\n"
        f" dict(name='pair', config={PAIR!r}, depends={DEPENDS!r}, "
        f"options={options.get('pair', {})!r})]")
    path = tmp_path / 'suite.py'
    path.write_text(f"suite_name = 'pairs'\nwork_root = {str(tmp_path / 'work')!r}\n"
                    f"options = {common or {}!r}\nspeed = {speed}\n"
                    f"extra_columns = ['trained_models']\nruns = {runs}\n")
    return path


class FakeTools:
    """Plays what train.py / benchmark.py compose / test.py / speed leave in a work dir."""

    def __init__(self, fail: tuple = ()) -> None:
        self.calls, self.fail = [], fail

    def __call__(self, argv: list, log: str) -> int:
        tool = argv[2] if argv[1].endswith('benchmark.py') else Path(argv[1]).name
        work_dir = Path(argv[argv.index('--work-dir') + 1])
        self.calls.append((work_dir.name, tool, argv))
        if (work_dir.name, tool) in self.fail:
            return 1
        if tool in ('train.py', 'compose'):
            config = Path(argv[3] if tool == 'compose' else argv[2]).stem
            (work_dir / f'{config}.py').write_text('# dumped\n')
            (work_dir / 'iter_2.pth').write_bytes(b'weights')
            (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
            update_record(str(work_dir), dict(train=dict(status='finished'),
                                              identity=dict(config=config)))
        if tool == 'test.py' or '--test' in argv:  # tools/train.py --test: then the test
            update_record(str(work_dir), dict(evaluations={'test:x': dict(
                mode='test', results={t: dict(metrics=dict(x=1.0)) for t in
                                      ('panoptic', 'instance', 'semantic')})}))
        elif tool not in ('train.py', 'compose'):
            update_record(str(work_dir), dict(speed={t: dict(ms_per_img=1.0) for t in
                                                     ('panoptic', 'instance', 'semantic')}))
        return 0


def option_values(argv: list) -> dict:
    return dict(a.split('=', 1) for a in argv[argv.index('--cfg-options') + 1:])


def test_depends_are_parsed_and_checked(tmp_path):
    suite = load_suite(str(write_suite(tmp_path, common={'train_cfg.max_iters': 2},
                                       pair={'test_dataloader.batch_size': 1})))
    sem, ins, pair = suite.runs
    assert pair.depends == DEPENDS and sem.depends == {}
    assert pair.dependency_dirs == dict(sem=str(tmp_path / 'work/sem-seed0'),
                                        ins=str(tmp_path / 'work/ins-seed0'))
    # Suite-wide options configure training; a composed run keeps only its own.
    assert pair.options == {'test_dataloader.batch_size': 1}
    assert sem.options == {'train_cfg.max_iters': 2}
    assert run_status(pair).todo == ['compose', 'test:all', 'speed']
    assert suite.extra_columns == ['trained_models']
    c = repr(PAIR)  # configs must exist on disk (load_suite checks them first)
    bad = {
        f"[dict(name='pair', config={c}, depends=['sem'])]": r"depends on \['sem'\]",
        f"[dict(name='a', config={c}), dict(name='pair', config={c}, depends=['a'], "
        "seeds=[1])]": r"\(seed 1\) depends on \['a'\]",
        f"[dict(name='pair', config={c}, depends='sem')]": 'depends must be a list',
        f"[dict(name='pair', config={c}, depends=['pair'])]": 'must be earlier runs',
    }
    for runs, message in bad.items():
        with pytest.raises(ValueError, match=message):
            load_suite(str(write_suite(tmp_path, runs=runs)))


def test_every_step_of_a_composed_run_gets_its_dependencies(tmp_path):
    suite = load_suite(str(write_suite(tmp_path)))
    tools = FakeTools()
    results = run_suite(suite, execute=tools, echo=lambda line: None)
    assert [r['ran'] for r in results] == [['train', 'test:semantic', 'speed'],
                                           ['train', 'test:instance', 'speed'],
                                           ['compose', 'test:all', 'speed']]
    pair_calls = [argv for run, _, argv in tools.calls if run == 'pair-seed0']
    compose = pair_calls[0]
    work = tmp_path / 'work'
    assert compose[2:6] == ['compose', PAIR, '--work-dir', str(work / 'pair-seed0')]
    assert compose[compose.index('--depends') + 1:compose.index('--cfg-options')] == [
        str(work / 'sem-seed0'), str(work / 'ins-seed0')]
    sem, ins = work / 'sem-seed0', work / 'ins-seed0'
    expected = {'model.semantic.config': str(sem / f'{Path(SEM).stem}.py'),
                'model.semantic.checkpoint': str(sem / 'iter_2.pth'),
                'model.instance.config': str(ins / f'{Path(INS).stem}.py'),
                'model.instance.checkpoint': str(ins / 'iter_2.pth'),
                'randomness.seed': '0'}
    for argv in pair_calls:  # compose, test and speed
        assert option_values(argv) == expected
    assert 'model.semantic.config' not in option_values(tools.calls[0][2])
    assert run_suite(suite, execute=FakeTools(), echo=lambda line: None)[2]['ran'] == []


def test_a_failed_dependency_fails_the_compose_step(tmp_path):
    suite = load_suite(str(write_suite(tmp_path)))
    lines = []
    results = run_suite(suite, execute=FakeTools(fail={('ins-seed0', 'train.py')}),
                        echo=lines.append)
    assert [r['failed'] for r in results] == [None, 'train', 'compose']
    assert any(line.startswith('pair-seed0: FAILED at compose: dependency ins has no finished '
                               'training') for line in lines)


def trained_run(folder: Path, config: str, *, tiny_shapes: Path, run: str, iters: int,
                hours: float, tasks: list, peak: int, model: str = None) -> str:
    """A work dir as tools/train.py leaves it: dumped config, checkpoint, finished record."""
    folder.mkdir(parents=True)
    cfg = tiny_config(config, data_root=tiny_shapes, work_dir=folder, model=model)
    cfg.dump(str(folder / Path(config).name))
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict()), folder / f'iter_{iters}.pth')
    (folder / 'last_checkpoint').write_text(str(folder / f'iter_{iters}.pth'))
    update_record(str(folder), dict(
        suite=dict(run=run), identity=dict(config=Path(config).stem, tasks_trained=tasks,
                                           backbone='ResNet-18'),
        train=dict(status='finished', iterations=iters, images_seen=8 * iters,
                   wall_clock_s=3600 * hours, val_s=1.0, device_hours=hours, devices=1,
                   train_img_per_s=9.0, peak_memory=dict(bytes=peak, kind='cpu_peak_rss'))))
    return str(folder)


def test_compose_run_saves_the_pair_and_sums_the_cost(tiny_shapes, tmp_path):
    deps = dict(sem=trained_run(tmp_path / 'sem', SEM, tiny_shapes=tiny_shapes, run='sem-seed0',
                                iters=2, hours=0.25, tasks=['semantic'], peak=100,
                                model=TINY_MODELS['mask2former']),
                ins=trained_run(tmp_path / 'ins', INS, tiny_shapes=tiny_shapes, run='ins-seed0',
                                iters=3, hours=0.5, tasks=['instance'], peak=300))
    root = str(tiny_shapes).rstrip('/') + '/'
    cfg = load_config(PAIR, options={**dependency_options(deps, DEPENDS),
                                     'test_dataloader.dataset.data_root': root})
    work = tmp_path / 'pair'
    path = compose_run(cfg, work_dir=str(work), depends=list(deps.values()))
    assert path == str(work / 'composed.pth') and last_checkpoint(str(work)) == path
    assert (work / Path(PAIR).name).is_file()
    state = torch.load(path, weights_only=True)['state_dict']
    for role, dep in (('semantic', 'sem'), ('instance', 'ins')):
        saved = torch.load(last_checkpoint(deps[dep]), weights_only=True)['state_dict']
        mine = {k.split('.', 1)[1]: v for k, v in state.items() if k.startswith(role + '.')}
        assert mine.keys() <= saved.keys() and mine
        assert all(torch.equal(v, saved[k]) for k, v in mine.items())
    record = read_record(str(work))
    train = record['train']
    assert train['status'] == 'finished' and train['trained_models'] == 2
    assert train['iterations'] == 5 and train['images_seen'] == 40 and train['devices'] == 1
    assert train['device_hours'] == 0.75 and train['wall_clock_s'] == 2700.0
    assert train['composed_from'] == ['sem-seed0', 'ins-seed0']
    assert train['peak_memory'] == dict(bytes=300, kind='cpu_peak_rss')
    assert 'train_img_per_s' not in train
    assert record['identity'] == dict(tasks_trained=['semantic', 'instance'],
                                      backbone='ResNet-18')
    with pytest.raises(FileNotFoundError, match='dependency x has no finished training'):
        dependency_options(dict(x=str(tmp_path / 'none')), dict(x='model.semantic'))
    # The qualitative dumps rebuild the pair (no fusion head) and PANet from the configs in their
    # work dirs; the figures draw them.
    pair = dict(label='pair', work_dir=str(work), config=str(work / Path(PAIR).name),
                checkpoint=path)
    panet = dict(label='ins', work_dir=deps['ins'], config=str(tmp_path / 'ins' / Path(INS).name),
                 checkpoint=last_checkpoint(deps['ins']))
    for task, runs in (('panoptic', [pair]), ('instance', [pair, panet])):
        models = [dict(label=run['label'], predictions=ensure_dump(
            run['work_dir'], config=run['config'], checkpoint=run['checkpoint'], task=task,
            indices=[0])) for run in runs]
        out = qualitative_figure(models, task=task, out_base=str(tmp_path / task))
        assert [Path(p).suffix for p in out] == ['.png', '.pdf'] and Path(out[0]).stat().st_size


def test_the_results_table_counts_trained_models(records_root):
    record = read_record(str(records_root / 'm2f_instance-seed0'))  # a fixed record, re-used
    record['suite'].update(name='pair', label='Pair', run='pair-seed0', index=4)
    record['train']['trained_models'] = 2
    (records_root / 'pair-seed0').mkdir()
    (records_root / 'pair-seed0' / 'record.json').write_text(json.dumps(record))
    summary = summarize(collect(str(records_root)))
    table = results_table(summary, extra_columns=['trained_models'])
    headers = [c.md for c in table.columns]
    assert headers[headers.index('Device-h') + 1] == 'Trained models'
    assert [row['trained_models'][0] for row in table.rows] == [1, 1, 1, 1, 2]
    assert any(note.startswith('Trained models:') for note in table.notes)
    assert 'Trained models' not in [c.md for c in results_table(summary).columns]
    with pytest.raises(ValueError, match="unknown extra_columns \\['gpus'\\]"):
        results_table(summary, extra_columns=['gpus'])
    groups = dict(pair=dict(label='Pair', runs=['pair']),
                  sep=dict(label='Sep', runs=['m2f_instance', 'm2f_semantic']))
    rows = ablation_table(summary, groups).rows
    assert [row['checkpoints'][0] for row in rows] == [2.0, 2.0]


def tiny_options(root: str, *, model: str) -> dict:
    """Training and data options that make a shapes config a seconds-long run on ``root``."""
    size, options = (64, 64), {'log_level': 'WARNING'}
    loaders = ['test_dataloader']
    if model != 'pair':
        options.update({
            'train_cfg.max_iters': 2, 'train_cfg.val_interval': 2, 'param_scheduler.end': 2,
            'default_hooks.checkpoint.interval': 2, 'default_hooks.logger.interval': 1,
            'train_dataloader.batch_size': 2, 'train_dataloader.dataset.pipeline.3.scale': size,
            'train_dataloader.dataset.pipeline.4.crop_size': size,
            'val_dataloader.dataset.pipeline.1.scale': size})
        loaders += ['train_dataloader', 'val_dataloader']
    if model == 'sem':
        options.update({'model.panoptic_head.pixel_decoder.encoder.num_layers': 1,
                        'model.panoptic_head.transformer_decoder.num_layers': 2})
    for loader in loaders:
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.data_root': root, f'{loader}.batch_size': 2})
    options['test_dataloader.dataset.pipeline.1.scale'] = size
    splits = ['test'] + ([] if model == 'pair' else ['val'])
    for split in splits:
        metrics = f'{split}_evaluator.metrics'
        if model != 'ins':
            options.update({f'{metrics}.panoptic.ann_file': root + 'annotations/panoptic_val.json',
                            f'{metrics}.panoptic.seg_prefix': root + 'annotations/panoptic_val/'})
        options[f'{metrics}.instance.ann_file'] = root + 'annotations/instances_val.json'
    return options


@pytest.mark.slow  # 6 tool subprocesses
def test_a_tiny_suite_trains_two_specialists_and_scores_their_combination(tiny_shapes, tmp_path):
    # Not timed (speed=None): 3 subprocesses fewer; tools/benchmark.py speed has its own tests
    # (tests/reporting/test_speed.py) and the fake-tool tests above check the speed steps run.
    root = str(tiny_shapes).rstrip('/') + '/'
    # The semantic specialist is M2F-Semantic with configs/_base_/models/mask2former_tiny.py.
    sem_config = tmp_path / Path(SEM).name
    tiny_config(SEM, data_root=tiny_shapes, work_dir='unused',
                model=TINY_MODELS['mask2former']).dump(str(sem_config))
    suite = load_suite(str(write_suite(tmp_path, sem_config=str(sem_config), speed='None', **{
        name: tiny_options(root, model=name) for name in ('sem', 'ins', 'pair')})))
    lines = []
    results = run_suite(suite, echo=lines.append)
    assert [r['failed'] for r in results] == [None] * 3, '\n'.join(lines)
    frame = collect(suite.work_root)
    paths = write_report(frame, out_dir=str(tmp_path / 'report'), suite_name='pairs',
                         extra_columns=suite.extra_columns)
    table = pd.read_csv(tmp_path / 'report' / 'results.csv').set_index('Model')
    pair, sem, ins = table.loc['pair'], table.loc['sem'], table.loc['ins']
    assert pair['Trained models'] == 2 and sem['Trained models'] == ins['Trained models'] == 1
    assert pair['Iters'] == 4 and math.isclose(pair['Device-h'], sem['Device-h'] + ins['Device-h'])
    assert math.isfinite(pair['PQ']) and pair['AP'] == ins['AP'] and pair['mIoU'] == sem['mIoU']
    assert pair['Params'] == pytest.approx(sem['Params'] + ins['Params'], abs=0.11)
    assert pair['Trained on'] == 'S+I' and math.isnan(sem['PQ'])
    assert str(tmp_path / 'report' / 'results.md') in paths


def test_the_specialists_suite_gives_every_trained_run_one_budget():
    suite = load_suite(str(REPO / 'configs/benchmarks/specialists.py'))
    budget = Config.fromfile(str(REPO / 'configs/benchmarks/specialists.py')).max_iters
    names = [r.name for r in suite.runs]
    assert names == ['oneformer_joint', 'm2f_panoptic', 'pspnet', 'danet', 'fastfcn', 'gscnn',
                     'panet', 'pspnet_panet']
    pair = suite.runs[-1]
    assert pair.depends == dict(pspnet='model.semantic', panet='model.instance')
    assert suite.extra_columns == ['trained_models']
    for run in suite.runs:
        cfg = load_config(str(REPO / run.config), work_dir=run.work_dir, options=run.cfg_options)
        if run.depends:
            assert 'train_cfg' not in cfg and pair.options == {}
        else:
            assert cfg.train_cfg.max_iters == budget and cfg.train_dataloader.batch_size == 8
            assert cfg.model.backbone.depth == 18
