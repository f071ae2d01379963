"""Vocabulary shared by models, data, evaluation and reports; imports nothing of unibench."""
from .tasks import (
    HEADLINE,
    IGNORE_INDEX,
    INSTANCE_OFFSET,
    PRED_FIELDS,
    TASKS,
    Headline,
    prediction_dump,
)

__all__ = ['TASKS', 'PRED_FIELDS', 'IGNORE_INDEX', 'INSTANCE_OFFSET', 'HEADLINE', 'Headline',
           'prediction_dump']
