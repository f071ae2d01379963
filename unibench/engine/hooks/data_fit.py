"""A model whose class count disagrees with its data fails at the start, with both counts named.

Elsewhere this shows up hours later as an index error in a loss or a NaN per-class IoU."""
from typing import Any, List, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from unibench.registry import HOOKS


def class_counts(model: Any) -> List[Tuple[str, int, str]]:
    """``(what, count, dataset field)`` the model states: all classes, and things where a model
    tells them apart. A semantic-only query model has no things (its total is all classes); an
    instance-only one has no stuff (its total is the things)."""
    counts = []
    total = getattr(model, 'num_classes', None)
    if total is None and getattr(model, 'decode_head', None) is not None:  # mmseg models
        total = getattr(model.decode_head, 'num_classes', None)
    if isinstance(total, int):
        things_only = getattr(model, 'num_stuff_classes', None) == 0
        counts.append(('num_classes', total, 'thing_classes' if things_only else 'classes'))
    things = getattr(model, 'num_things_classes', None)
    if isinstance(things, int) and things > 0:
        counts.append(('num_things_classes', things, 'thing_classes'))
    roi_head = getattr(model, 'roi_head', None)  # PANet: instance classes are the things
    bbox_head = getattr(roi_head, 'bbox_head', None)
    if total is None and isinstance(getattr(bbox_head, 'num_classes', None), int):
        counts.append(('roi_head.bbox_head.num_classes', bbox_head.num_classes, 'thing_classes'))
    return counts


def check_class_counts(model: Any, dataset: Any, *, loader: str) -> None:
    """Raises ``ValueError`` when ``model`` and ``dataset.metainfo`` disagree on a count."""
    meta = getattr(dataset, 'metainfo', None) or {}
    for what, count, field in class_counts(model):
        names: Optional[list] = meta.get(field)
        if names is not None and len(names) != count:
            raise ValueError(
                f'{type(model).__name__}.{what} is {count}, but {loader}\'s '
                f'{type(dataset).__name__} has {len(names)} {field} '
                f'({list(names)[:6]}{"..." if len(names) > 6 else ""}): set the model\'s class '
                'counts from the dataset base (num_things_classes, num_stuff_classes)')


@HOOKS.register_module()
class DataFitHook(Hook):
    """Checks the model's class counts against each loader's dataset before it is used."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._check(runner, 'train_dataloader')

    def before_val(self, runner) -> None:
        self._check(runner, 'val_dataloader')

    def before_test(self, runner) -> None:
        self._check(runner, 'test_dataloader')

    @staticmethod
    def _check(runner, loader: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        dataloader = getattr(runner, loader)
        dataset = getattr(dataloader, 'dataset', None)
        while hasattr(dataset, 'dataset') and not hasattr(dataset, 'metainfo'):
            dataset = dataset.dataset  # dataset wrappers
        if dataset is not None:
            check_class_counts(model, dataset, loader=loader)
