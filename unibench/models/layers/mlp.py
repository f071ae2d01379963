"""The MLP of DETR-style heads (facebookresearch/Mask2Former ``MLP``, Apache-2.0; OneFormer MIT)."""
from typing import List

from torch import nn


def mlp(in_dims: int, hidden_dims: int, out_dims: int, num_layers: int) -> nn.Sequential:
    """``num_layers`` linear layers with ReLU between them (none after the last).

    Args:
        in_dims: Input width.
        hidden_dims: Width of the hidden layers.
        out_dims: Output width.
        num_layers: Number of linear layers (>= 1).

    Returns:
        An ``nn.Sequential`` mapping ``(..., in_dims)`` to ``(..., out_dims)``.
    """
    dims = [in_dims] + [hidden_dims] * (num_layers - 1) + [out_dims]
    layers: List[nn.Module] = []
    for i in range(num_layers):
        layers.append(nn.Linear(dims[i], dims[i + 1]))
        if i < num_layers - 1:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)
