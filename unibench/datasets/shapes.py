"""The embedded ``unibench-shapes`` panoptic dataset (see ``tools/make_synthetic.py``)."""
from unibench.datasets.panoptic import UniPanopticDataset
from unibench.datasets.synthetic import SHAPES_CATEGORIES, STUFF_CLASSES, THING_CLASSES
from unibench.registry import DATASETS


@DATASETS.register_module()
class ShapesPanopticDataset(UniPanopticDataset):
    """Procedurally generated shapes (things) on textured regions (stuff), COCO panoptic format."""

    METAINFO = dict(
        classes=tuple(THING_CLASSES) + tuple(STUFF_CLASSES),
        thing_classes=tuple(THING_CLASSES),
        stuff_classes=tuple(STUFF_CLASSES),
        palette=[tuple(c['color']) for c in SHAPES_CATEGORIES])
