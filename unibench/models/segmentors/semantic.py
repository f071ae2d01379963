"""Per-pixel classification specialists (PSPNet, DANet, FastFCN): mmseg's ``EncoderDecoder`` on
unibench's data, written out as the universal models write their semantic predictions.

mmseg's backbones, necks, decode heads and losses are used as configured (``mmseg.`` types).
The bridge is the data structures only:

* training targets: the ``(H, W)`` label map, taken from ``gt_sem_seg`` when the pipeline packs
  one, otherwise rasterised from the semantic task's ``gt_instances`` (one mask per class, as
  :class:`~unibench.datasets.transforms.DeriveTaskTargets` writes them), so the specialists train
  on the very targets the universal models' semantic task sees (void, crowd and dropped masks
  are ``ignore_index``);
* predictions: ``pred_sem_seg = PixelData(sem_seg=(1, H, W) int64, seg_logits=(K, H, W))`` at the
  original image size, the field :class:`~unibench.evaluation.SemSegIoUMetric` and
  ``TaskFusionHead.semantic_postprocess`` use (here the logits are the classifier's).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.structures import SegDataSample
from torch import Tensor

from unibench.models.losses.criterion import target_masks
from unibench.models.segmentors.global_losses import GlobalLossLog
from unibench.models.segmentors.mask2former import feature_shapes
from unibench.models.segmentors.train_only import TrainOnlyParts
from unibench.registry import MODELS
from unibench.structures import IGNORE_INDEX


@MODELS.register_module()
class SemanticSegmentor(GlobalLossLog, TrainOnlyParts, EncoderDecoder):
    """mmseg ``EncoderDecoder`` that trains on and predicts into unibench data samples.

    It answers the semantic task only; asking it another task is an error that says so. The
    auxiliary head (deep supervision, PSPNet Sec. 3.4) is a training loss: a model built with
    ``train_cfg=None`` (``tools/test.py``) neither builds nor loads it, so its size is the
    inference model's.

    Args:
        family: Model family recorded in run records (``pspnet``, ``danet``, ``fastfcn``).
        backbone: Backbone config (``mmseg.ResNetV1c`` etc.).
        decode_head: mmseg decode head config.
        neck: Optional neck (FastFCN's ``mmseg.JPU``).
        auxiliary_head: Optional mmseg auxiliary head (training only).
        offset_head: Optional :class:`~unibench.models.heads.CentreOffsetHead` (training only:
            a pre-training stage's instance-centre target, from the panoptic task's masks).
        train_cfg: ``dict()`` to train; ``None`` builds the inference model.
        test_cfg: ``dict(mode='whole')`` or ``dict(mode='slide', crop_size=..., stride=...)``.
        data_preprocessor: mmdet ``DetDataPreprocessor`` config (``pad_mask=True`` so that
            rasterised targets are padded with void).
        init_cfg: mmengine init config.
    """

    train_only_prefixes = ('auxiliary_head.', 'offset_head.')  # training losses

    def __init__(self, *, family: str, backbone: dict, decode_head: dict,
                 neck: Optional[dict] = None, auxiliary_head: Optional[dict] = None,
                 offset_head: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck,
                         auxiliary_head=auxiliary_head if train_cfg is not None else None,
                         train_cfg=train_cfg, test_cfg=ConfigDict(test_cfg or dict(mode='whole')),
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.family = family
        self.offset_head = None
        if offset_head is not None and train_cfg is not None:
            self.offset_head = MODELS.build(dict(
                offset_head, head=self._with_in_channels(offset_head['head'])))

    def _init_decode_head(self, decode_head: dict) -> None:
        super()._init_decode_head(self._with_in_channels(decode_head))

    def _init_auxiliary_head(self, auxiliary_head: Optional[dict]) -> None:
        super()._init_auxiliary_head(self._with_in_channels(auxiliary_head))

    def _with_in_channels(self, head: Optional[dict]) -> Optional[dict]:
        """The head config with ``in_channels`` of its ``in_index`` read off the built backbone
        (and neck): EncoderDecoder builds the heads after them, so configs never restate it."""
        if head is None or 'in_channels' in head:
            return head
        channels, _ = feature_shapes(self.backbone, getattr(self, 'neck', None))
        index = head['in_index']
        in_channels = [channels[i] for i in index] if isinstance(index, (list, tuple)) \
            else channels[index]
        return ConfigDict(head, in_channels=in_channels)

    def loss(self, inputs: Tensor, data_samples: Sequence) -> dict:
        """mmseg's decode (and auxiliary) head losses.

        Args:
            inputs: ``(B, 3, H, W)`` normalised, padded images.
            data_samples: mmdet samples with ``gt_sem_seg`` or semantic ``gt_instances``
                (panoptic-task ``gt_instances`` with an ``offset_head``).
        """
        seg_samples = to_seg_samples(data_samples)
        if self.offset_head is None:
            return super().loss(inputs, seg_samples)
        x = self.extract_feat(inputs)  # mmseg's EncoderDecoder.loss, one more head on x
        losses = self._decode_head_forward_train(x, seg_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, seg_samples))
        masks, labels = zip(*(instance_masks(s, inputs.shape[-2:], inputs.device)
                               for s in data_samples))
        losses.update(self.offset_head.loss(x, masks, labels))
        return losses

    def predict(self, inputs: Tensor, data_samples: Sequence) -> list:
        """Writes ``pred_sem_seg`` (see the module docstring) on each sample.

        Args:
            inputs: ``(B, 3, H, W)`` normalised, padded images.
            data_samples: mmdet samples (``img_shape``, ``ori_shape``, optional ``task``).
        """
        check_semantic_task(data_samples, type(self).__name__)
        # mmseg's heads resize their logits to ``pad_shape``: make it the batch's padded size
        # (mmdet's per-image ``pad_shape`` can be smaller than the batch tensor).
        metas = [dict(s.metainfo, pad_shape=tuple(inputs.shape[-2:])) for s in data_samples]
        if self.test_cfg.get('mode', 'whole') == 'slide':
            logits = self.slide_inference(inputs, metas)
        else:
            logits = self.whole_inference(inputs, metas)
        return add_semantic_predictions(data_samples, logits, align_corners=self.align_corners)



def to_seg_samples(data_samples: Sequence) -> List[SegDataSample]:
    """mmseg samples whose ``gt_sem_seg.data`` is the ``(1, H, W)`` int64 label map."""
    return [SegDataSample(metainfo=sample.metainfo,
                          gt_sem_seg=PixelData(data=semantic_label_map(sample)[None]))
            for sample in data_samples]


def stack_label_maps(data_samples: Sequence) -> Tensor:
    """``(B, H, W)`` int64 label maps of a padded batch."""
    return torch.stack([semantic_label_map(sample) for sample in data_samples])


def semantic_label_map(sample) -> Tensor:
    """The ``(H, W)`` int64 class map of one sample, void = 255.

    From ``gt_sem_seg.sem_seg`` (mmdet) or ``gt_sem_seg.data`` (mmseg) when present; otherwise
    painted from ``gt_instances`` (masks and labels of the semantic or panoptic task; an instance
    task sample lacks stuff and is refused).
    """
    if 'gt_sem_seg' in sample:
        seg = sample.gt_sem_seg
        data = seg.sem_seg if 'sem_seg' in seg else seg.data
        return data[0].long()
    task = sample.metainfo.get('task', 'semantic')
    if 'gt_instances' not in sample or 'masks' not in sample.gt_instances or task == 'instance':
        raise KeyError(
            f'{sample.metainfo.get("img_path", "a sample")}: a semantic segmentor needs '
            'gt_sem_seg (LoadPanopticAnnotations(with_seg=True) / mmseg.LoadAnnotations) or '
            f'semantic-task gt_instances (DeriveTaskTargets); got task {task!r} and fields '
            f'{sorted(sample.keys())}')
    instances = sample.gt_instances
    masks = instances.masks
    masks = masks.to_tensor(torch.bool, instances.labels.device) \
        if hasattr(masks, 'to_tensor') else masks.bool()
    label_map = torch.full(masks.shape[-2:], IGNORE_INDEX, dtype=torch.long,
                           device=instances.labels.device)
    for mask, label in zip(masks, instances.labels):
        label_map[mask] = label
    return label_map


def instance_masks(sample, size: Tuple[int, int], device: torch.device) -> Tuple[Tensor, Tensor]:
    """``(N, H, W)`` bool masks (padded to ``size``) and ``(N,)`` labels of a sample's
    panoptic-task ``gt_instances`` (a thing per instance), as the criterion reads its targets
    (:func:`~unibench.models.losses.criterion.target_masks`); another task is refused."""
    task = sample.metainfo.get('task')
    if task != 'panoptic' or 'gt_instances' not in sample:
        raise KeyError(f'{sample.metainfo.get("img_path", "a sample")}: instance-centre offsets '
                       "need the panoptic task's gt_instances (dataset tasks=('panoptic',)); "
                       f'got task {task!r}')
    labels, masks = target_masks(sample.gt_instances, dict(batch_input_shape=tuple(size)), device)
    return masks, labels


def check_semantic_task(data_samples: Sequence, owner: str) -> None:
    """Raises ``ValueError`` when a sample asks for a task other than semantic."""
    for sample in data_samples:
        task = sample.metainfo.get('task', 'semantic')
        if task != 'semantic':
            raise ValueError(f'{owner} is a semantic specialist and answers the semantic task '
                             f'only (tools/test.py --task semantic); asked for {task!r}')


def add_semantic_predictions(data_samples: Sequence, logits: Tensor, *,
                             align_corners: bool = False) -> list:
    """Crops the batch padding, resizes to the original size and writes ``pred_sem_seg``.

    Args:
        data_samples: Samples with ``img_shape`` and ``ori_shape`` in their metainfo.
        logits: ``(B, K, H_pad, W_pad)`` class scores at the padded input size (the padding is
            at the bottom and right, as mmdet's preprocessor pads).
        align_corners: Of the bilinear resize (the decode head's setting).

    Returns:
        The samples, each with ``pred_sem_seg = PixelData(sem_seg=(1, H, W) int64,
        seg_logits=(K, H, W))``.
    """
    for sample, logit in zip(data_samples, logits):
        h, w = sample.metainfo['img_shape'][:2]
        logit = F.interpolate(logit[None, :, :h, :w], size=sample.metainfo['ori_shape'][:2],
                              mode='bilinear', align_corners=align_corners)[0]
        sample.pred_sem_seg = PixelData(sem_seg=logit.argmax(0)[None], seg_logits=logit)
    return list(data_samples)
