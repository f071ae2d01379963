"""SegGPT's pixel decoder; follows baaivision/Painter SegGPT/SegGPT_inference/models_seggpt.py
(``decoder_embed``, ``decoder_pred``, ``forward_decoder``; commit e7824926, MIT)."""
from typing import Sequence

import torch
from mmengine.model import BaseModule
from timm.layers import LayerNorm2d, trunc_normal_
from torch import Tensor, nn

from unibench.registry import MODELS


@MODELS.register_module()
class PainterHead(BaseModule):
    """Maps encoder tokens back to an RGB painting (Wang et al., "SegGPT", ICCV 2023, §3).

    The LayerNorm'd token maps of several blocks are concatenated per token, a linear layer
    predicts a ``patch x patch x decoder_dim`` feature block for each token, which is
    pixel-shuffled to full resolution and refined by Conv3x3 -> LayerNorm2d -> GELU -> Conv1x1 to
    three channels (ImageNet-normalised RGB, the space of the loss).

    Args:
        in_channels: Width of each token map (the encoder's ``embed_dim``).
        num_inputs: Number of token maps concatenated (4: blocks 5, 11, 17, 23).
        patch_size: Encoder patch size; each token decodes a ``patch x patch`` block.
        decoder_dim: Channels of the pixel features (64 in SegGPT).
        init_cfg: mmengine init config.
    """

    def __init__(self, *, in_channels: int, num_inputs: int, patch_size: int,
                 decoder_dim: int = 64, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.decoder_dim = decoder_dim
        self.num_inputs = num_inputs
        self.decoder_embed = nn.Linear(in_channels * num_inputs, patch_size**2 * decoder_dim)
        self.decoder_pred = nn.Sequential(
            nn.Conv2d(decoder_dim, decoder_dim, kernel_size=3, padding=1),
            LayerNorm2d(decoder_dim, eps=1e-6),  # detectron2 LayerNorm eps (vitdet LayerNorm2D)
            nn.GELU(),
            nn.Conv2d(decoder_dim, 3, kernel_size=1))
        # The official model initialises every Linear with trunc_normal(0.02); convs keep torch's.
        trunc_normal_(self.decoder_embed.weight, std=0.02)
        nn.init.zeros_(self.decoder_embed.bias)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Args:
            feats: ``num_inputs`` token maps ``(N, h, w, C)``.

        Returns:
            ``(N, 3, h * patch, w * patch)`` painting in normalised pixel space.
        """
        if len(feats) != self.num_inputs:
            raise ValueError(f'PainterHead expects {self.num_inputs} token maps, '
                             f'got {len(feats)}')
        x = self.decoder_embed(torch.cat(list(feats), dim=-1))  # (N, h, w, p * p * D)
        n, h, w, _ = x.shape
        p = self.patch_size
        x = x.reshape(n, h, w, p, p, self.decoder_dim)
        x = torch.einsum('nhwpqc->nchpwq', x).reshape(n, self.decoder_dim, h * p, w * p)
        return self.decoder_pred(x)
