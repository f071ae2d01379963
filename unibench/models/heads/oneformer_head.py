"""OneFormer head; follows SHI-Labs/OneFormer oneformer/modeling/transformer_decoder/
oneformer_transformer_decoder.py and oneformer_model.py (MIT), composed from mmdet parts.
"""
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.layers import (
    DetrTransformerDecoder,
    Mask2FormerTransformerDecoder,
    SinePositionalEncoding,
)
from mmdet.structures import SampleList
from mmengine.model import BaseModule, caffe2_xavier_init
from torch import Tensor, nn

from unibench.models.layers.mlp import mlp
from unibench.models.layers.tokenizer import CONTEXT_LENGTH, tokenize
from unibench.registry import MODELS

HeadOutputs = Tuple[List[Tensor], List[Tensor], Tensor]


@MODELS.register_module()
class OneFormerHead(BaseModule):
    """Task-conditioned mask-classification head: predictions only, scored by a criterion.

    OneFormer (Jain et al., CVPR 2023), Sec. 3.1-3.2 and Fig. 2, as the official code:

    1. Pixel decoder (mmdet ``MSDeformAttnPixelDecoder``): 1/4 mask features and 1/32, 1/16, 1/8
       memories.
    2. Task token: ``"the task is {task}"`` -> CLIP BPE ids (77) *cast to float* -> MLP(77, C, C,
       2 layers) -> the decoder's LayerNorm = ``Q_task``. The paper (App. A) describes a linear
       layer on a task embedding; we follow the code.
    3. Query init: a 2-layer post-norm DETR decoder whose targets are ``Q_task`` repeated
       ``N - 1`` times with ``query_embed[:-1]`` as position. As in the official code its memory
       *values* are the sine encoding of the mask features and its *keys* add a 1x1 conv of the mask
       features (official ``class_transformer(pe(mask_features), ..., class_input_proj(...))``).
       Appending ``Q_task`` gives the ``N`` queries ``Q`` that the contrastive loss sees.
    4. Mask2Former's masked-attention decoder (mmdet layers): layer ``i`` attends to memory
       ``i mod 3``; predictions (class logits, mask logits = MLP(q) . mask features) from ``Q``
       and after every layer; attention masks are ``sigmoid < 0.5`` at the next level, rows that
       would mask everything attend everywhere.

    Args:
        in_channels: Backbone channels per level (the segmentor reads them off the backbone).
        strides: Backbone strides per level (4, 8, 16, 32).
        num_things_classes: Thing classes (first in the label space).
        num_stuff_classes: Stuff classes.
        num_queries: ``N`` object queries.
        embed_dims: Width of the pixel decoder, queries and mask embeddings.
        pixel_decoder: mmdet ``MSDeformAttnPixelDecoder`` config (channels come from here).
        query_init: mmdet ``DetrTransformerDecoder`` kwargs (official ``class_transformer``).
        transformer_decoder: mmdet ``Mask2FormerTransformerDecoder`` kwargs.
        task_seq_len: Token length of the task text.
        criterion: Loss config (:class:`SetCriterion`; ``num_classes`` defaults to ``K``), built
            when ``train_cfg`` is given.
        train_cfg: Set by the segmentor; ``None`` builds an inference-only head.
        test_cfg: Set by the segmentor; its ``task`` is the default for samples without one.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, in_channels: Sequence[int], strides: Sequence[int] = (4, 8, 16, 32),
                 num_things_classes: int, num_stuff_classes: int, num_queries: int = 150,
                 embed_dims: int = 256,
                 pixel_decoder: dict, query_init: dict, transformer_decoder: dict,
                 task_seq_len: int = CONTEXT_LENGTH, criterion: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_queries = num_queries
        self.embed_dims = embed_dims
        self.task_seq_len = task_seq_len
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg or {}

        self.pixel_decoder = MODELS.build(pixel_decoder, default_args=dict(
            in_channels=list(in_channels), strides=list(strides), feat_channels=embed_dims,
            out_channels=embed_dims))
        self.num_levels = self.pixel_decoder.num_outs
        self.positional_encoding = SinePositionalEncoding(num_feats=embed_dims // 2,
                                                          normalize=True)
        self.level_embed = nn.Embedding(self.num_levels, embed_dims)
        self.task_mlp = mlp(task_seq_len, embed_dims, embed_dims, 2)
        self.query_init = DetrTransformerDecoder(**query_init)
        self.query_init_proj = nn.Conv2d(embed_dims, embed_dims, kernel_size=1)
        self.query_embed = nn.Embedding(num_queries, embed_dims)
        self.transformer_decoder = Mask2FormerTransformerDecoder(**transformer_decoder)
        self.num_heads = self.transformer_decoder.layers[0].cross_attn.num_heads
        self.cls_embed = nn.Linear(embed_dims, self.num_classes + 1)
        self.mask_embed = mlp(embed_dims, embed_dims, embed_dims, 3)
        self.criterion = None
        if train_cfg is not None and criterion is not None:
            self.criterion = MODELS.build(criterion,
                                          default_args=dict(num_classes=self.num_classes))

    def init_weights(self) -> None:
        """Official init: Xavier-uniform transformer weights, c2 Xavier for the 1x1 conv."""
        self.pixel_decoder.init_weights()
        for module in (self.query_init, self.transformer_decoder):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        caffe2_xavier_init(self.query_init_proj, bias=0)

    def forward(self, x: Sequence[Tensor], batch_data_samples: SampleList) -> HeadOutputs:
        """Predictions of every decoder stage.

        Args:
            x: Backbone features ``(B, C_i, H / s_i, W / s_i)`` for strides 4, 8, 16, 32.
            batch_data_samples: Samples; ``metainfo['task']`` selects the task token.

        Returns:
            ``cls_scores``: ``1 + L`` tensors ``(B, N, K + 1)``; ``mask_preds``: ``1 + L`` tensors
            ``(B, N, H / 4, W / 4)`` (initial queries first, final layer last); ``queries``:
            ``(B, N, C)`` output of the query initialisation (for the contrastive loss).
        """
        mask_features, memories = self.pixel_decoder(x)  # memories: low to high resolution
        batch_size = mask_features.shape[0]
        keys, key_pos = [], []
        for i, memory in enumerate(memories):
            keys.append(memory.flatten(2).transpose(1, 2) + self.level_embed.weight[i])
            key_pos.append(self._sine(memory).flatten(2).transpose(1, 2))

        task_token = self.encode_tasks(batch_data_samples, mask_features.device)
        queries = self.init_queries(task_token, mask_features)
        query_pos = self.query_embed.weight[None].expand(batch_size, -1, -1)

        query = queries
        cls_pred, mask_pred, attn_mask = self._predict(query, mask_features,
                                                       memories[0].shape[-2:])
        cls_scores, mask_preds = [cls_pred], [mask_pred]
        for i, layer in enumerate(self.transformer_decoder.layers):
            level = i % self.num_levels
            # A query whose mask is empty at this level attends everywhere instead of nowhere.
            attn_mask = attn_mask & (attn_mask.sum(-1) != attn_mask.shape[-1])[..., None]
            query = layer(query=query, key=keys[level], value=keys[level], query_pos=query_pos,
                          key_pos=key_pos[level], cross_attn_mask=attn_mask,
                          query_key_padding_mask=None, key_padding_mask=None)
            cls_pred, mask_pred, attn_mask = self._predict(
                query, mask_features, memories[(i + 1) % self.num_levels].shape[-2:])
            cls_scores.append(cls_pred)
            mask_preds.append(mask_pred)
        return cls_scores, mask_preds, queries

    def encode_tasks(self, batch_data_samples: SampleList, device: torch.device) -> Tensor:
        """``Q_task``: ``(B, C)`` normalised task tokens of the samples' tasks."""
        default = self.test_cfg.get('task', 'panoptic')
        ids = torch.cat([_task_ids(s.metainfo.get('task', default), self.task_seq_len)
                         for s in batch_data_samples]).to(device)
        # Raw token ids as float MLP inputs, then the decoder's LayerNorm (``USE_TASK_NORM``).
        return self.transformer_decoder.post_norm(self.task_mlp(ids.float()))

    def init_queries(self, task_token: Tensor, mask_features: Tensor) -> Tensor:
        """Task-guided query initialisation.

        Args:
            task_token: ``(B, C)`` ``Q_task``.
            mask_features: ``(B, C, H / 4, W / 4)``.

        Returns:
            ``(B, N, C)``: the ``N - 1`` decoded queries followed by ``Q_task``.
        """
        batch_size = task_token.shape[0]
        pos = self._sine(mask_features).flatten(2).transpose(1, 2)
        content = self.query_init_proj(mask_features).flatten(2).transpose(1, 2)
        target = task_token[:, None].expand(-1, self.num_queries - 1, -1)
        query_pos = self.query_embed.weight[None, :-1].expand(batch_size, -1, -1)
        decoded = self.query_init(query=target, key=pos, value=pos, query_pos=query_pos,
                                  key_pos=content, key_padding_mask=None)[-1]
        return torch.cat([decoded, task_token[:, None]], dim=1)

    def loss(self, x: Sequence[Tensor], batch_data_samples: SampleList,
             text_queries: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses from the criterion.

        Args:
            x: Backbone features.
            batch_data_samples: Samples with ``gt_instances`` (the sampled task's targets).
            text_queries: ``(B, N, C)`` text-mapper output, for the contrastive loss.

        Returns:
            The criterion's loss dict.
        """
        if self.criterion is None:
            raise RuntimeError('OneFormerHead was built without train_cfg/criterion: it cannot '
                               'compute losses')
        cls_scores, mask_preds, queries = self(x, batch_data_samples)
        return self.criterion(cls_scores, mask_preds,
                              [s.gt_instances for s in batch_data_samples],
                              [s.metainfo for s in batch_data_samples],
                              image_queries=queries, text_queries=text_queries)

    def predict(self, x: Sequence[Tensor],
                batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Final-layer predictions with masks at the padded input size.

        Returns:
            ``(B, N, K + 1)`` class logits and ``(B, N, H_pad, W_pad)`` mask logits.
        """
        cls_scores, mask_preds, _ = self(x, batch_data_samples)
        size = batch_data_samples[0].metainfo['batch_input_shape']
        masks = F.interpolate(mask_preds[-1], size=tuple(size), mode='bilinear',
                              align_corners=False)
        return cls_scores[-1], masks

    def _predict(self, query: Tensor, mask_features: Tensor,
                 attn_size: Tuple[int, int]) -> Tuple[Tensor, Tensor, Tensor]:
        """Class logits ``(B, N, K + 1)``, mask logits ``(B, N, h, w)`` and the next
        attention mask ``(B * heads, N, attn_h * attn_w)`` (True = blocked)."""
        query = self.transformer_decoder.post_norm(query)
        cls_pred = self.cls_embed(query)
        mask_pred = torch.einsum('bqc,bchw->bqhw', self.mask_embed(query), mask_features)
        attn_mask = F.interpolate(mask_pred.detach(), attn_size, mode='bilinear',
                                  align_corners=False)
        attn_mask = attn_mask.flatten(2).sigmoid() < 0.5
        attn_mask = attn_mask.repeat_interleave(self.num_heads, dim=0)
        return cls_pred, mask_pred, attn_mask

    def _sine(self, feature: Tensor) -> Tensor:
        """``(B, C, h, w)`` sine position encoding of an unpadded map."""
        batch, _, h, w = feature.shape
        return self.positional_encoding(feature.new_zeros((batch, h, w), dtype=torch.bool))


@lru_cache(maxsize=16)
def _task_ids(task: str, context_length: int) -> Tensor:
    """``(1, L)`` token ids of ``"the task is {task}"`` (cached: three tasks recur)."""
    return tokenize(f'the task is {task}', context_length)
