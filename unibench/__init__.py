"""unibench: universal image segmenters side by side on one runner and one protocol.

``import unibench`` registers every unibench module in its registries (scope ``unibench``).
"""
from .version import __version__  # noqa: I001

from . import registry  # noqa: F401
from . import datasets, engine, evaluation, models  # noqa: F401

engine.allow_mmengine_checkpoints()

__all__ = ['__version__']
