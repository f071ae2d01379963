"""Parts of a segmentor that exist only for training (OneFormer's text mapper, the criterion's
buffers, mmseg's auxiliary head): one list per model drives both the inference parameter count
and the loading of a training checkpoint into an inference model."""
from typing import Any, Tuple


class TrainOnlyParts:
    """Mixin (first base) for a segmentor whose ``train_only_prefixes`` name training-only
    submodules, e.g. ``('text_mapper.',)``.

    * :meth:`num_parameters` with ``inference=True`` leaves them out;
    * loading a state dict into a model that did not build one of them (``train_cfg=None``, the
      inference model) drops that part's keys instead of reporting them as unexpected.
    """

    train_only_prefixes: Tuple[str, ...] = ()

    def num_parameters(self, inference: bool = True) -> int:
        """Parameter count; ``inference=True`` leaves out the training-only parts."""
        return sum(p.numel() for name, p in self.named_parameters()
                   if not (inference and name.startswith(self.train_only_prefixes)))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        # torch (and mmengine's load_state_dict) call this on the root before its children, so
        # the removed keys are neither loaded nor reported as unexpected.
        for part in self.train_only_prefixes:
            if _submodule(self, part) is None:
                for key in [k for k in state_dict if k.startswith(prefix + part)]:
                    del state_dict[key]
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def _submodule(model: Any, part: str) -> Any:
    """The module a ``'a.b.'`` prefix names, or ``None`` if any step is absent or ``None``."""
    for name in part.rstrip('.').split('.'):
        model = getattr(model, name, None)
        if model is None:
            return None
    return model
