from . import transforms  # noqa: F401  (registers the transforms)
from .panoptic import UniPanopticDataset
from .shapes import ShapesPanopticDataset

__all__ = ['UniPanopticDataset', 'ShapesPanopticDataset']
