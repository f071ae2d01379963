"""Masked-attention transformer decoder with its per-layer predictions, the one decoder of both
query models; follows facebookresearch/Mask2Former mask2former/modeling/transformer_decoder/
mask2former_transformer_decoder.py (MIT) and its copy in SHI-Labs/OneFormer (MIT), composed from
mmdet's decoder layers.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import Conv2d
from mmdet.models.layers import Mask2FormerTransformerDecoderLayer, SinePositionalEncoding
from mmengine.model import BaseModule, ModuleList, caffe2_xavier_init
from torch import Tensor, nn

from unibench.models.layers.mlp import mlp
from unibench.registry import MODELS


@MODELS.register_module()
class MaskedAttentionDecoder(BaseModule):
    """Mask2Former's decoder (Cheng et al., CVPR 2022, Sec. 3.2) with its prediction heads.

    The head hands it the queries (Mask2Former: learned; OneFormer: task-guided) and the pixel
    decoder's outputs. Layer ``i`` cross-attends to memory ``i mod L`` (low to high resolution),
    masked by the previous prediction (``sigmoid < 0.5`` at that level's size; a query whose mask is
    empty there attends everywhere), then self-attends and applies its FFN (post-norm). Class
    logits (``LN -> Linear``) and mask logits (``MLP(q) . mask_features``) are predicted from the
    initial queries and after every layer, all of them supervised (deep supervision).

    Args:
        num_classes: ``K``; class logits have ``K + 1`` columns, the last is "no object".
        embed_dims: Query width ``C``.
        num_layers: Masked-attention layers (9 in the papers: ``DEC_LAYERS`` 10 counts the
            prediction from the initial queries).
        layer_cfg: mmdet ``Mask2FormerTransformerDecoderLayer`` kwargs (attention and FFN).
        in_channels: Width of the pixel decoder's memories; a 1x1 projection is added where it
            differs from ``embed_dims`` (or ``enforce_input_proj``), as the official code does.
        num_levels: Memories the layers visit round-robin (3: 1/32, 1/16, 1/8).
        enforce_input_proj: Project memories even when the widths agree.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, num_classes: int, embed_dims: int, num_layers: int, layer_cfg: dict,
                 in_channels: int = None, num_levels: int = 3,
                 enforce_input_proj: bool = False, init_cfg: dict = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels = embed_dims if in_channels is None else in_channels
        self.num_levels = num_levels
        self.input_projs = ModuleList([
            Conv2d(in_channels, embed_dims, kernel_size=1)
            if in_channels != embed_dims or enforce_input_proj else nn.Identity()
            for _ in range(num_levels)])
        self.level_embed = nn.Embedding(num_levels, embed_dims)
        self.positional_encoding = SinePositionalEncoding(num_feats=embed_dims // 2,
                                                          normalize=True)
        self.layers = ModuleList([Mask2FormerTransformerDecoderLayer(**layer_cfg)
                                  for _ in range(num_layers)])
        if self.layers[0].embed_dims != embed_dims:
            raise ValueError(f'layer_cfg has embed_dims {self.layers[0].embed_dims}, the '
                             f'decoder {embed_dims}')
        self.num_heads = self.layers[0].cross_attn.num_heads
        self.post_norm = nn.LayerNorm(embed_dims)  # the official decoder_norm
        self.cls_embed = nn.Linear(embed_dims, num_classes + 1)
        self.mask_embed = mlp(embed_dims, embed_dims, embed_dims, 3)

    def init_weights(self) -> None:
        """Official init: Xavier-uniform attention and FFN weights, c2 Xavier for projections.

        (mmdet's ``Mask2FormerHead`` uses Xavier-normal; the official layers' ``_reset_parameters``
        use Xavier-uniform.)
        """
        for layer in self.layers:
            for p in layer.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        for proj in self.input_projs:
            if isinstance(proj, Conv2d):
                caffe2_xavier_init(proj, bias=0)

    def forward(self, query: Tensor, query_pos: Tensor, mask_features: Tensor,
                memories: Sequence[Tensor], *,
                final_only: bool = False) -> Tuple[List[Tensor], List[Tensor]]:
        """Predictions of the initial queries and of every layer.

        Args:
            query: ``(B, N, C)`` initial query features.
            query_pos: ``(B, N, C)`` query positional embeddings.
            mask_features: ``(B, C, H / 4, W / 4)`` per-pixel embeddings.
            memories: ``num_levels`` maps ``(B, C_in, h_i, w_i)``, low to high resolution.
            final_only: Return only the last layer's predictions (inference). The earlier
                stages then predict their masks only at the next layer's attention size, from
                the mask features resized to it: bilinear resizing is linear, so that is the
                resized full mask up to float rounding, without the ``(B, N, H / 4, W / 4)``
                products and their resizing.

        Returns:
            ``cls_scores``: ``1 + num_layers`` tensors ``(B, N, K + 1)``; ``mask_preds``: as many
            ``(B, N, H / 4, W / 4)``; the initial queries' first, the last layer's last. With
            ``final_only``, one of each.
        """
        keys, key_pos = self.flatten_memories(memories)
        sizes = [m.shape[-2:] for m in memories]
        resized = None
        if final_only:
            resized = [F.interpolate(mask_features, size, mode='bilinear', align_corners=False)
                       for size in sizes]
        cls_scores, mask_preds = [], []

        def stage(query: Tensor, i: int) -> Tensor:
            """Predictions after stage ``i`` (0: the initial queries); the next attention mask."""
            level = i % self.num_levels
            if final_only and i < len(self.layers):
                return self.attention_mask(query, resized[level])
            cls_pred, mask_pred, attn_mask = self.predict(query, mask_features, sizes[level])
            cls_scores.append(cls_pred)
            mask_preds.append(mask_pred)
            return attn_mask

        attn_mask = stage(query, 0)
        for i, layer in enumerate(self.layers):
            level = i % self.num_levels
            # A query whose mask is empty at this level attends everywhere instead of nowhere.
            attn_mask = attn_mask & (attn_mask.sum(-1) != attn_mask.shape[-1])[..., None]
            query = layer(query=query, key=keys[level], value=keys[level], query_pos=query_pos,
                          key_pos=key_pos[level], cross_attn_mask=attn_mask,
                          query_key_padding_mask=None, key_padding_mask=None)
            attn_mask = stage(query, i + 1)
        return cls_scores, mask_preds

    def flatten_memories(self, memories: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        """Per level, ``(B, h * w, C)`` keys (projected, plus level embedding) and their sine
        positional encodings (the maps are unpadded: no key-padding mask, as the official code)."""
        keys, key_pos = [], []
        for i, memory in enumerate(memories):
            key = self.input_projs[i](memory).flatten(2).transpose(1, 2)
            keys.append(key + self.level_embed.weight[i])
            batch, _, h, w = memory.shape
            pos = self.positional_encoding(memory.new_zeros((batch, h, w), dtype=torch.bool))
            key_pos.append(pos.flatten(2).transpose(1, 2))
        return keys, key_pos

    def predict(self, query: Tensor, mask_features: Tensor,
                attn_size: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Class logits ``(B, N, K + 1)``, mask logits ``(B, N, h, w)`` and the next layer's
        attention mask ``(B * heads, N, attn_h * attn_w)`` (True = blocked)."""
        query = self.post_norm(query)
        cls_pred = self.cls_embed(query)
        mask_pred = torch.einsum('bqc,bchw->bqhw', self.mask_embed(query), mask_features)
        attn_mask = F.interpolate(mask_pred.detach(), attn_size, mode='bilinear',
                                  align_corners=False)
        return cls_pred, mask_pred, self._blocked(attn_mask)

    def attention_mask(self, query: Tensor, attn_features: Tensor) -> Tensor:
        """The next layer's attention mask alone, from the mask features at its size
        ``(B, C, attn_h, attn_w)`` (see ``final_only``)."""
        mask_embed = self.mask_embed(self.post_norm(query))
        return self._blocked(torch.einsum('bqc,bchw->bqhw', mask_embed, attn_features.detach()))

    def _blocked(self, mask_logits: Tensor) -> Tensor:
        """``(B, N, h, w)`` logits -> ``(B * heads, N, h * w)``, True where ``sigmoid < 0.5``."""
        blocked = mask_logits.detach().flatten(2).sigmoid() < 0.5
        return blocked.repeat_interleave(self.num_heads, dim=0)
