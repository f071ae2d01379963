"""unibench: universal image segmenters side by side on one runner and one protocol.

``import unibench`` registers every unibench module in its registries (scope ``unibench``).
"""
from .version import __version__  # noqa: I001

from mmdet.utils import register_all_modules as _register_mmdet

# mmdet's modules register on import; unibench's registries fall back to them by name.
_register_mmdet(init_default_scope=False)

from . import (  # noqa: F401,E402
    datasets,
    engine,
    evaluation,
    models,
    registry,
)

engine.allow_mmengine_checkpoints()

__all__ = ['__version__']
