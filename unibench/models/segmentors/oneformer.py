"""OneFormer segmentor; follows SHI-Labs/OneFormer oneformer/oneformer_model.py (MIT)."""
from typing import Dict, Optional

from mmdet.structures import SampleList
from torch import Tensor

from unibench.models.segmentors.mask2former import Mask2Former
from unibench.registry import MODELS


@MODELS.register_module()
class OneFormer(Mask2Former):
    """One task-conditioned model for panoptic, instance and semantic segmentation.

    Jain et al., "OneFormer: One Transformer to Rule Universal Image Segmentation", CVPR 2023.
    Backbone -> :class:`OneFormerHead` (pixel decoder, task token, task-guided query init,
    masked-attention decoder) -> :class:`TaskFusionHead` (decodes each sample's task). Training
    adds the :class:`TextMapper` and the criterion's contrastive loss (Eq. 2); both are built
    only when ``train_cfg`` is given, so a model built with ``train_cfg=None`` (tools/test.py) is
    the inference model whose size the paper reports.

    Args:
        text_mapper: :class:`TextMapper` config (``num_queries``/``embed_dims`` default to the
            head's). ``None`` trains without the contrastive loss.
        **kwargs: mmdet ``MaskFormer`` arguments (``backbone``, ``panoptic_head``,
            ``panoptic_fusion_head``, ``train_cfg``, ``test_cfg``, ``data_preprocessor``, ...).
    """

    family = 'oneformer'
    train_only_prefixes = ('text_mapper.', *Mask2Former.train_only_prefixes)

    def __init__(self, *, text_mapper: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_mapper = None
        if self.train_cfg is not None and text_mapper is not None:
            self.text_mapper = MODELS.build(text_mapper, default_args=dict(
                num_queries=self.panoptic_head.num_queries,
                embed_dims=self.panoptic_head.embed_dims))

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Set losses of every decoder stage plus the query-text contrastive loss.

        Args:
            batch_inputs: ``(B, 3, H, W)`` normalised images.
            batch_data_samples: Samples with ``gt_instances`` and ``metainfo['task']``.

        Returns:
            The criterion's loss dict.
        """
        x = self.extract_feat(batch_inputs)
        text_queries = None if self.text_mapper is None else self.text_mapper(batch_data_samples)
        return self.panoptic_head.loss(x, batch_data_samples, text_queries=text_queries)
