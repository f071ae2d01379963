"""Checkpoints that torch's ``weights_only`` loader reads (see :mod:`unibench.engine.checkpoint`),
and checkpoints that fit the model they are loaded into."""
import re

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from unibench.engine.checkpoint import make_loadable
from unibench.registry import HOOKS
from unibench.utils.state_dict import check_covers


@HOOKS.register_module()
class CheckpointStateHook(Hook):
    """Saves the message hub's buffers without their pickled statistics functions, so that
    ``--resume`` (and any ``torch.load(..., weights_only=True)``) can read the checkpoint.

    Checks what is loaded before it is loaded (mmengine loads what matches and warns): a
    checkpoint given to ``tools/test.py`` or resumed must fit the model exactly (the parts an
    inference model does not build, its ``train_only_prefixes``, aside), else the error lists
    the missing and unexpected keys and the shape mismatches; a ``load_from`` that starts a
    training (fine-tuning from weights that lack a new head) may be partial, and its gaps are
    logged as a warning, but a shape mismatch is an error.
    """

    priority = 'VERY_LOW'  # after every hook that adds to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        make_loadable(checkpoint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        state = checkpoint.get('state_dict', checkpoint)
        state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
        own = model.state_dict()
        absent = tuple(p for p in getattr(model, 'train_only_prefixes', ())
                       if not any(k.startswith(p) for k in own))
        state = {k: v for k, v in state.items() if not (absent and k.startswith(absent))}
        source = str(runner.cfg.get('load_from') or 'the checkpoint')
        testing = isinstance(getattr(runner, '_test_loop', None), BaseLoop) and \
            not isinstance(getattr(runner, '_train_loop', None), BaseLoop)
        if runner._resume or testing:
            check_covers(own, state, source=source, target=type(model).__name__)
            return
        shapes = [k for k in set(own) & set(state) if own[k].shape != state[k].shape]
        if shapes:
            check_covers(own, state, source=source, target=type(model).__name__,
                         allow_unexpected=True)
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            print_log(f'load_from {source}: {len(missing)} weights of {type(model).__name__} '
                      f'keep their initialisation (e.g. {missing[:5]}), {len(unexpected)} '
                      f'checkpoint keys are not used (e.g. {unexpected[:5]})', logger='current',
                      level=30)
