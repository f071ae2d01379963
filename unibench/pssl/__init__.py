"""PSSL: pseudo semantic segmentation labels from explanations of classifiers, for pre-training
segmentors (Li et al., Machine Learning 2022), as a unibench pipeline (``tools/pssl.py``)."""
from .pipeline import STEPS, run

__all__ = ['STEPS', 'run']
