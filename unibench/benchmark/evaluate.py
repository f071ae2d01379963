"""Scoring a trained checkpoint on the test split: what ``tools/test.py`` runs, and what
``tools/train.py --test TASK`` runs after training in the same process (a suite's run then
pays one process start-up, ~17 s on the 2-core CPU, instead of two)."""
from typing import Any, Dict, List, Optional

from mmengine.config import Config
from mmengine.runner import Runner

from unibench.benchmark.speed import inference_model_cfg
from unibench.engine.config import check_data, set_test_tasks
from unibench.engine.out_dir import publish_out_dir, set_out_dir
from unibench.engine.resume import check_checkpoint_file


def score_checkpoint(cfg: Config, checkpoint: str, *, task: str = 'all',
                    out_dir: Optional[str] = None, prompt: Optional[str] = None
                    ) -> Dict[str, Any]:
    """Evaluates ``checkpoint`` with ``cfg``'s test loop on ``task`` (``all``: every task the
    test evaluator scores), each task a pass of its own; the run record gets the evaluation.

    Args:
        cfg: The model's config as loaded for training (changed in place: tasks, weights and
            the inference model).
        checkpoint: The weights (a missing or empty file is an error that names it).
        task: ``panoptic``, ``instance``, ``semantic`` or ``all``.
        out_dir: Keep each task's predictions in its evaluator's format under ``DIR/<task>/``.
        prompt: The painter's tuned prompt file (``tools/tune_prompt.py``).

    Returns:
        The metrics, ``{'<task>/<metric>': value}``; with ``out_dir``, the folders written are
        printed.
    """
    tasks: List[str] = list(set_test_tasks(cfg, task))
    task_dirs = set_out_dir(cfg, out_dir, tasks) if out_dir else {}
    cfg.load_from = check_checkpoint_file(checkpoint)
    cfg.model = inference_model_cfg(cfg.model, prompt_file=prompt)
    check_data(cfg, ('test_dataloader', ))
    metrics = Runner.from_cfg(cfg).test()
    for folder in publish_out_dir(task_dirs):
        print(f'predictions: {folder}')
    return metrics
