"""Mask2Former head: learned queries on the shared masked-attention decoder; follows
facebookresearch/Mask2Former mask2former/modeling/transformer_decoder/
mask2former_transformer_decoder.py (MIT)."""
from typing import Tuple

from mmdet.structures import SampleList
from torch import Tensor, nn

from unibench.models.heads.query_head import QueryHead
from unibench.registry import MODELS


@MODELS.register_module()
class Mask2FormerHead(QueryHead):
    """Mask2Former (Cheng et al., CVPR 2022): ``N`` learned query features (``query_feat``) with
    learned positions (``query_embed``), the same for every image and task, decoded by
    :class:`~unibench.models.decoders.MaskedAttentionDecoder` and scored by
    :class:`~unibench.models.losses.SetCriterion`.

    Numerically the function of mmdet's ``Mask2FormerHead`` (tested by copying its weights in),
    with the official initialisation, the official loss normaliser and a batched criterion.

    Args:
        **kwargs: :class:`~unibench.models.heads.query_head.QueryHead` arguments.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.query_feat = nn.Embedding(self.num_queries, self.embed_dims)
        self.query_embed = nn.Embedding(self.num_queries, self.embed_dims)

    def init_queries(self, mask_features: Tensor,
                     batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """The learned ``(B, N, C)`` query features and positions, broadcast over the batch."""
        batch = mask_features.shape[0]
        return (self.query_feat.weight[None].expand(batch, -1, -1),
                self.query_embed.weight[None].expand(batch, -1, -1))
