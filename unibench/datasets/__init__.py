from . import transforms  # noqa: F401  (registers the transforms)
from .crops import PanopticCropDataset
from .panoptic import UniPanopticDataset
from .real import (
    ADE20KPanopticDataset,
    ADE20KSemanticDataset,
    CityscapesPanopticDataset,
    CityscapesSemanticDataset,
    COCOPanopticDataset,
)
from .shapes import ShapesPanopticDataset

__all__ = [
    'PanopticCropDataset', 'UniPanopticDataset', 'ShapesPanopticDataset', 'COCOPanopticDataset',
    'ADE20KPanopticDataset', 'CityscapesPanopticDataset', 'ADE20KSemanticDataset',
    'CityscapesSemanticDataset'
]
from .pairs import PainterPairDataset  # noqa: E402  (the painter's in-context pairs)

__all__ += ['PainterPairDataset']
