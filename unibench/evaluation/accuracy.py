"""Top-1 accuracy of a classifier (the classification pre-training's validation)."""
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from unibench.registry import METRICS


@METRICS.register_module()
class TopOneAccuracy(BaseMetric):
    """Percent of samples whose ``pred_label`` equals their ``label``; key ``accuracy/top1``."""

    default_prefix: Optional[str] = 'accuracy'

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        for sample in data_samples:  # the evaluator hands over data samples as dicts
            self.results.append(int(sample['pred_label']) == int(sample['label']))

    def compute_metrics(self, results: List[bool]) -> Dict[str, float]:
        return dict(top1=100.0 * sum(results) / max(len(results), 1))
