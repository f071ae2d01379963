"""Benchmark suites: ``python tools/benchmark.py COMMAND ...``:

    run|all SUITE [--dry-run]   train, test, time every unfinished run (all: + report, figures)
    collect ROOT|SUITE [--out]  every record.json under a folder -> one CSV
    report|figures SUITE        tables (results, ablation; md, tex, csv) | figures -> reports/
    speed CONFIG [CKPT]         inference ms/img per task (into <work-dir>/record.json if given)
    speed-runs SUITE --runs ID...   speed of several trained runs of a suite, in one process
    compose CONFIG --depends DIR... [--work-dir D]   a model of trained runs -> D/composed.pth
    peers SUITE [--device] [--no-memory]   unibench beside mmdet / transformers -> docs/
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

import unibench  # noqa: F401  (registers unibench's modules)
from unibench import benchmark, reporting
from unibench.engine.config import load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark suites and reports')
    sub = parser.add_subparsers(dest='command', required=True)
    for name in ('run', 'report', 'figures', 'all', 'speed-runs'):
        p = sub.add_parser(name)
        p.add_argument('suite', help='suite file, e.g. configs/benchmarks/demo.py')
        p.add_argument('--work-root', help='override the suite work_root')
        p.add_argument('--out-dir', help='override the suite report_dir')
        p.add_argument('--dry-run', action='store_true', help='run: only list what would run')
        p.add_argument('--jobs', type=int, help='runs at once (default: the suite\'s jobs)')
        p.add_argument('--no-qualitative', action='store_true', help='figures: skip the grids')
        p.add_argument('--runs', nargs='+', help='speed-runs: the run ids to time')
    p = sub.add_parser('collect')
    p.add_argument('root', help='folder searched for record.json, or a suite file')
    p.add_argument('--out', help='CSV path (default: <report_dir>/records.csv or stdout)')
    p = sub.add_parser('peers')
    p.add_argument('suite', help='e.g. configs/benchmarks/peers.py')
    p.add_argument('--device', help='cuda or cpu (default: cuda when available)')
    p.add_argument('--no-memory', action='store_true', help='skip the peak-memory processes')
    compose, p = sub.add_parser('compose'), sub.add_parser('speed')
    for q in (compose, p):
        q.add_argument('config')
        q.add_argument('--cfg-options', nargs='+', action=DictAction)
        q.add_argument('--work-dir', help='the run: speed results go into its record.json')
    compose.add_argument('--depends', nargs='+', required=True, help='work dirs it is made of')
    p.add_argument('checkpoint', nargs='?', help='weights (default: random initialisation)')
    p.add_argument('--tasks', nargs='+', help='default: every task the test evaluator scores')
    p.add_argument('--num-images', type=int, default=50)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--device', help='cuda or cpu (default: cuda when available)')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.command == 'peers':
        from unibench.benchmark.peer_suite import run_and_report
        print('wrote:', *run_and_report(args.suite, device=args.device, memory=not args.no_memory))
        return 0
    if args.command in ('speed', 'compose'):
        cfg = load_config(args.config, work_dir=args.work_dir, options=args.cfg_options)
        if args.command == 'compose':
            print(benchmark.compose_run(cfg, work_dir=cfg.work_dir, depends=args.depends))
            return 0
        results = benchmark.measure_speed(cfg, checkpoint=args.checkpoint, tasks=args.tasks,
                                          num_images=args.num_images, warmup=args.warmup,
                                          device=args.device)
        for task, r in results.items():
            print(f'{task}: {r["ms_per_img"]:.1f} ms/img (median {r["median_ms"]:.1f}, '
                  f'{r["num_images"]} images after {r["warmup"]} warm-up, {r["device"]})')
        if args.work_dir:
            benchmark.write_speed(args.work_dir, results)
        return 0
    if args.command == 'collect':
        suite = benchmark.load_suite(args.root) if osp.isfile(args.root) else None
        frame = reporting.collect(suite.work_root if suite else args.root)
        out = args.out or (osp.join(suite.report_dir, 'records.csv') if suite else None)
        print(reporting.write_csv(frame, out) if out else frame.to_csv(index=False))
        return 0
    suite = benchmark.load_suite(args.suite, work_root=args.work_root)
    if args.command == 'speed-runs':
        return int(bool(benchmark.time_runs(suite, args.runs or [])))
    failed = []
    if args.command in ('run', 'all'):
        failed = [r['run'] for r in benchmark.run_suite(suite, dry_run=args.dry_run,
                                                        jobs=args.jobs)
                  if r['failed']]
        if failed:
            print(f'runs not completed (see the lines above and <work_dir>/logs/): {failed}')
        if args.dry_run or args.command == 'run':
            return int(bool(failed))
    paths = benchmark.publish(suite, args.out_dir or suite.report_dir,
                              tables=args.command != 'figures', figures=args.command != 'report',
                              qualitative=not args.no_qualitative)
    print('\n'.join(['wrote:'] + [f'  {p}' for p in paths]))
    return int(bool(failed))


if __name__ == '__main__':
    raise SystemExit(main())
