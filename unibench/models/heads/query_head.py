"""The mask-classification head both query models share: pixel decoder, queries, the one
masked-attention decoder, and the criterion that scores them."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.structures import SampleList
from mmengine.model import BaseModule
from torch import Tensor

from unibench.models.decoders.masked_attention import MaskedAttentionDecoder
from unibench.models.layers.deform_attn import fuse_deform_attn
from unibench.registry import MODELS

HeadOutputs = Tuple[List[Tensor], List[Tensor], Tensor]

# Parameter names of mmdet's Mask2FormerHead and of unibench's heads before the decoder was one
# module: a checkpoint that has them loads into the shared decoder (see _load_from_state_dict).
LEGACY_KEYS = (('transformer_decoder.layers.', 'decoder.layers.'),
               ('transformer_decoder.post_norm.', 'decoder.post_norm.'),
               ('decoder_input_projs.', 'decoder.input_projs.'),
               ('level_embed.', 'decoder.level_embed.'),
               ('cls_embed.', 'decoder.cls_embed.'),
               ('mask_embed.', 'decoder.mask_embed.'))


class QueryHead(BaseModule):
    """Pixel decoder -> initial queries -> :class:`MaskedAttentionDecoder`; scored by a criterion.

    Subclasses define only where the initial queries come from (:meth:`init_queries`):
    Mask2Former learns them, OneFormer derives them from the task token and the image.

    Args:
        in_channels: Backbone channels per level (the segmentor reads them off the backbone).
        strides: Backbone strides per level (4, 8, 16, 32).
        num_things_classes: Thing classes (first in the label space).
        num_stuff_classes: Stuff classes.
        num_queries: ``N`` object queries.
        embed_dims: Width of the pixel decoder, queries and mask embeddings.
        pixel_decoder: mmdet ``MSDeformAttnPixelDecoder`` config (its width is ``embed_dims``).
        transformer_decoder: :class:`MaskedAttentionDecoder` kwargs (``num_layers``,
            ``layer_cfg``); classes, width and levels come from here.
        criterion: Loss config (:class:`SetCriterion`; ``num_classes`` comes from here), built
            when ``train_cfg`` is given.
        train_cfg: Set by the segmentor; ``None`` builds an inference-only head.
        test_cfg: Set by the segmentor.
        fused_deform_attn: The pixel decoder's deformable attention through
            :class:`~unibench.models.layers.deform_attn.FusedMSDeformAttn` (the same function
            and parameters as mmcv's; a fused CPU path); ``False`` keeps mmcv's module.
        init_cfg: mmengine init config.
    """

    def __init__(self, *, in_channels: Sequence[int], strides: Sequence[int] = (4, 8, 16, 32),
                 num_things_classes: int, num_stuff_classes: int, num_queries: int,
                 embed_dims: int, pixel_decoder: dict, transformer_decoder: dict,
                 criterion: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, fused_deform_attn: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_things_classes = num_things_classes
        self.num_stuff_classes = num_stuff_classes
        self.num_classes = num_things_classes + num_stuff_classes
        self.num_queries = num_queries
        self.embed_dims = embed_dims
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg or {}
        self.pixel_decoder = MODELS.build(pixel_decoder, default_args=dict(
            in_channels=list(in_channels), strides=list(strides), feat_channels=embed_dims,
            out_channels=embed_dims))
        if fused_deform_attn:
            fuse_deform_attn(self.pixel_decoder)
        self.decoder = MaskedAttentionDecoder(
            num_classes=self.num_classes, embed_dims=embed_dims,
            num_levels=self.pixel_decoder.num_outs, **transformer_decoder)
        self.criterion = None
        if train_cfg is not None and criterion is not None:
            self.criterion = MODELS.build(criterion,
                                          default_args=dict(num_classes=self.num_classes))

    def init_weights(self) -> None:
        """The pixel decoder's and the decoder's own initialisations."""
        self.pixel_decoder.init_weights()
        self.decoder.init_weights()

    def init_queries(self, mask_features: Tensor,
                     batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """``(B, N, C)`` initial query features and ``(B, N, C)`` query positions."""
        raise NotImplementedError

    def forward(self, x: Sequence[Tensor], batch_data_samples: SampleList, *,
                final_only: bool = False) -> HeadOutputs:
        """Predictions of every decoder stage.

        Args:
            x: Backbone features ``(B, C_i, H / s_i, W / s_i)`` for strides 4, 8, 16, 32.
            batch_data_samples: Samples (OneFormer reads ``metainfo['task']``).
            final_only: Only the last stage's predictions (inference; see
                :class:`MaskedAttentionDecoder`).

        Returns:
            ``cls_scores``: ``1 + L`` tensors ``(B, N, K + 1)``; ``mask_preds``: ``1 + L`` tensors
            ``(B, N, H / 4, W / 4)`` (initial queries first, final layer last); ``queries``:
            ``(B, N, C)`` the initial queries (OneFormer's contrastive loss reads them). With
            ``final_only``, one class and one mask tensor.
        """
        # The official pixel decoder runs in fp32 under AMP (`@autocast(enabled=False)` on its
        # forward_features): deformable attention's sampling is precision-sensitive.
        with torch.autocast(x[0].device.type, enabled=False):
            mask_features, memories = self.pixel_decoder([f.float() for f in x])
        queries, query_pos = self.init_queries(mask_features, batch_data_samples)
        cls_scores, mask_preds = self.decoder(queries, query_pos, mask_features, memories,
                                              final_only=final_only)
        return cls_scores, mask_preds, queries

    def loss(self, x: Sequence[Tensor], batch_data_samples: SampleList,
             text_queries: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses from the criterion.

        Args:
            x: Backbone features.
            batch_data_samples: Samples with ``gt_instances`` (the sampled task's targets).
            text_queries: ``(B, N, C)`` text-mapper output, for OneFormer's contrastive loss.

        Returns:
            The criterion's loss dict.
        """
        if self.criterion is None:
            raise RuntimeError(f'{type(self).__name__} was built without train_cfg/criterion: '
                               'it cannot compute losses')
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
        cls_scores, mask_preds, _ = self(x, batch_data_samples, final_only=True)
        size = batch_data_samples[0].metainfo['batch_input_shape']
        masks = F.interpolate(mask_preds[-1], size=tuple(size), mode='bilinear',
                              align_corners=False)
        return cls_scores[-1], masks

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        """Renames the decoder's parameters of mmdet ``Mask2FormerHead`` checkpoints and of
        unibench checkpoints from before the shared decoder (:data:`LEGACY_KEYS`)."""
        for key in [k for k in state_dict if k.startswith(prefix)]:
            for old, new in LEGACY_KEYS:
                if key.startswith(prefix + old):
                    state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)
                    break
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
