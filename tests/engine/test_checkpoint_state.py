"""Checkpoints load with torch's weights_only loader; importing unibench patches no mmengine
class."""
import io
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from unibench.engine.checkpoint import SafeHistoryBuffer
from unibench.engine.hooks import CheckpointStateHook


def checkpoint_with_message_hub() -> dict:
    hub = MessageHub.get_instance('test_checkpoint_state')
    for value in (3.0, 1.0, 2.0):
        hub.update_scalar('train/loss', value)
    return dict(state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict())


def load(checkpoint: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_importing_unibench_leaves_history_buffer_pickling_alone():
    # mmengine's own pickling (statistics functions included) is untouched outside checkpoints.
    assert 'statistics_methods' in HistoryBuffer().__getstate__()
    assert HistoryBuffer.__getstate__ is not SafeHistoryBuffer.__getstate__
    assert pickle.loads(pickle.dumps(HistoryBuffer([1.0], [1]))).mean() == 1.0


def test_the_hook_makes_the_checkpoint_load_with_weights_only():
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        load(checkpoint_with_message_hub())  # as mmengine saves it
    checkpoint = checkpoint_with_message_hub()
    CheckpointStateHook().before_save_checkpoint(None, checkpoint)
    loaded = load(checkpoint)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == 2.0 and buffer.current() == 2.0 and buffer.min() == 1.0
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
