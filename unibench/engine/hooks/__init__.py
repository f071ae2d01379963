"""Engine hooks: cost accounting and run records."""
from .run_record import (RECORD_FILE, RunRecordHook, evaluation_key, read_record,
                         update_record)

__all__ = ['RECORD_FILE', 'RunRecordHook', 'evaluation_key', 'read_record', 'update_record']
