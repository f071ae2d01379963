"""OneFormer head; follows SHI-Labs/OneFormer oneformer/modeling/transformer_decoder/
oneformer_transformer_decoder.py and oneformer_model.py (MIT), composed from mmdet parts.
"""
from functools import lru_cache
from typing import Tuple

import torch
from mmdet.models.layers import DetrTransformerDecoder
from mmdet.structures import SampleList
from mmengine.model import caffe2_xavier_init
from torch import Tensor, nn

from unibench.models.heads.query_head import QueryHead
from unibench.models.layers.mlp import mlp
from unibench.models.layers.tokenizer import CONTEXT_LENGTH, tokenize
from unibench.registry import MODELS


@MODELS.register_module()
class OneFormerHead(QueryHead):
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
    4. Mask2Former's masked-attention decoder, the same module as Mask2Former's
       (:class:`~unibench.models.decoders.MaskedAttentionDecoder`), with ``query_embed`` as the
       query positions.

    Args:
        query_init: mmdet ``DetrTransformerDecoder`` kwargs (official ``class_transformer``).
        task_seq_len: Token length of the task text.
        **kwargs: :class:`~unibench.models.heads.query_head.QueryHead` arguments; ``test_cfg``'s
            ``task`` is the default for samples without one.
    """

    def __init__(self, *, query_init: dict, task_seq_len: int = CONTEXT_LENGTH,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.task_seq_len = task_seq_len
        self.task_mlp = mlp(task_seq_len, self.embed_dims, self.embed_dims, 2)
        self.query_init = DetrTransformerDecoder(**query_init)
        self.query_init_proj = nn.Conv2d(self.embed_dims, self.embed_dims, kernel_size=1)
        self.query_embed = nn.Embedding(self.num_queries, self.embed_dims)

    def init_weights(self) -> None:
        """Official init: Xavier-uniform transformer weights, c2 Xavier for the 1x1 conv."""
        super().init_weights()
        for p in self.query_init.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        caffe2_xavier_init(self.query_init_proj, bias=0)

    def init_queries(self, mask_features: Tensor,
                     batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """Task-guided queries ``(B, N, C)`` (the ``N - 1`` decoded ones, then ``Q_task``) and
        their positions ``query_embed``."""
        task_token = self.encode_tasks(batch_data_samples, mask_features.device)
        batch_size = task_token.shape[0]
        pos = self._sine(mask_features).flatten(2).transpose(1, 2)
        content = self.query_init_proj(mask_features).flatten(2).transpose(1, 2)
        target = task_token[:, None].expand(-1, self.num_queries - 1, -1)
        query_pos = self.query_embed.weight[None].expand(batch_size, -1, -1)
        decoded = self.query_init(query=target, key=pos, value=pos, query_pos=query_pos[:, :-1],
                                  key_pos=content, key_padding_mask=None)[-1]
        return torch.cat([decoded, task_token[:, None]], dim=1), query_pos

    def encode_tasks(self, batch_data_samples: SampleList, device: torch.device) -> Tensor:
        """``Q_task``: ``(B, C)`` normalised task tokens of the samples' tasks."""
        default = self.test_cfg.get('task', 'panoptic')
        ids = torch.cat([_task_ids(s.metainfo.get('task', default), self.task_seq_len)
                         for s in batch_data_samples]).to(device)
        # Raw token ids as float MLP inputs, then the decoder's LayerNorm (``USE_TASK_NORM``).
        return self.decoder.post_norm(self.task_mlp(ids.float()))

    def _sine(self, feature: Tensor) -> Tensor:
        """``(B, C, h, w)`` sine position encoding of an unpadded map."""
        batch, _, h, w = feature.shape
        return self.decoder.positional_encoding(
            feature.new_zeros((batch, h, w), dtype=torch.bool))


@lru_cache(maxsize=16)
def _task_ids(task: str, context_length: int) -> Tensor:
    """``(1, L)`` token ids of ``"the task is {task}"`` (cached: three tasks recur)."""
    return tokenize(f'the task is {task}', context_length)
