"""Logged losses of the global batch in multi-process training (detectron2's and mmcv 1.x's)."""
from collections import OrderedDict
from typing import Dict, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import Tensor


class GlobalLossLog:
    """Mixin (before the mmengine model base) whose logged loss terms are the mean over processes.

    mmengine 0.10's ``BaseModel.parse_losses`` returns each process's own values, and only rank 0
    logs: with ``P`` processes the logs showed a ``1/P`` share of the batch, and a non-finite term
    on one process stopped that process alone (``RunRecordHook``) while the others waited in the
    next collective. Here the terms are averaged over the processes before they are returned, as
    the official trainers (detectron2's ``_write_metrics``) and mmcv 1.x's ``_parse_losses`` did:
    every process logs, and checks, the same numbers. For losses whose per-process mean equals
    the global batch's (a shared normaliser, as the mask losses' ``reduce_mean`` target count),
    the logged value is the global batch's loss; with one process nothing changes.

    The loss that is back-propagated stays the process's own: DDP averages the gradients.
    """

    def parse_losses(self, losses: Dict[str, Tensor]) -> Tuple[Tensor, Dict[str, Tensor]]:
        loss, log_vars = super().parse_losses(losses)
        if get_world_size() == 1:
            return loss, log_vars
        names = list(log_vars)  # every process has the same terms in the same order
        values = torch.stack([log_vars[k].detach().float().reshape(()) for k in names])
        all_reduce(values, op='mean')  # one collective for all terms
        return loss, OrderedDict(zip(names, values))
