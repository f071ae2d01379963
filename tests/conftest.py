import os
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.testing import make_tiny_shapes

REPO = Path(__file__).resolve().parents[1]
if os.environ.get('PYTEST_XDIST_WORKER'):
    # `make test` runs the suite in one pytest-xdist worker per core: a worker's torch and the
    # tool subprocesses it starts take their share of the cores, not all of them each.
    _threads = max(1, (os.cpu_count() or 1) // int(os.environ['PYTEST_XDIST_WORKER_COUNT']))
    os.environ['OMP_NUM_THREADS'] = str(_threads)
    torch.set_num_threads(_threads)
else:
    os.environ.setdefault('OMP_NUM_THREADS', '2')
init_default_scope('unibench')  # builds outside a Runner resolve names as configs do


@pytest.fixture(scope='session', autouse=True)
def tools_run_without_test_dependencies():
    """The tool subprocesses the tests start import no transformers (tests/runtime_env): a
    runtime install has none, and each start is about 2.5 s faster. Set here, in the process that
    runs the tests, not at import: pytest-xdist workers keep transformers for the HF tests."""
    before = os.environ.get('PYTHONPATH')
    os.environ['PYTHONPATH'] = os.pathsep.join(
        [str(REPO / 'tests' / 'runtime_env')] + ([before] if before else []))
    yield
    if before is None:
        os.environ.pop('PYTHONPATH')
    else:
        os.environ['PYTHONPATH'] = before


@pytest.fixture(scope='session')
def tiny_shapes(tmp_path_factory) -> Path:
    """8 train / 4 val images of 64 x 64, generated once per test session."""
    return make_tiny_shapes(tmp_path_factory.mktemp('shapes') / 'shapes')


@pytest.fixture(autouse=True)
def unibench_scope():
    """Builds outside a Runner resolve names in unibench's registries, as configs do."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('unibench'):
        yield
