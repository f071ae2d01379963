"""Engine hooks: cost accounting, run records and checkpoints that load with ``weights_only``."""
from .checkpoint_state import CheckpointStateHook
from .data_fit import DataFitHook
from .run_record import RECORD_FILE, RunRecordHook, evaluation_key, read_record, update_record

__all__ = ['RECORD_FILE', 'CheckpointStateHook', 'DataFitHook', 'RunRecordHook', 'evaluation_key',
           'read_record', 'update_record']
