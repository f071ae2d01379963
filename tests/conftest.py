import os
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

import unibench  # noqa: F401  (registers unibench's modules)
from unibench.testing import make_tiny_shapes

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault('OMP_NUM_THREADS', '2')
init_default_scope('unibench')  # builds outside a Runner resolve names as configs do


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
