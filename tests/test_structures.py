"""The shared vocabulary agrees with the libraries whose encodings it names."""
from mmdet.evaluation.functional import INSTANCE_OFFSET as MMDET_INSTANCE_OFFSET

from unibench.structures import HEADLINE, INSTANCE_OFFSET, PRED_FIELDS, TASKS


def test_instance_offset_is_mmdets():
    assert INSTANCE_OFFSET == MMDET_INSTANCE_OFFSET


def test_every_task_has_a_field_and_a_headline():
    assert set(PRED_FIELDS) == set(HEADLINE) == set(TASKS)
    assert HEADLINE['instance'].scale == 100.0  # mmdet's AP is a fraction
