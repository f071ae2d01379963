"""The instance-centre offset target of the pre-training stage (Panoptic-DeepLab's offsets)."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

import unibench  # noqa: F401
from unibench.models.heads.centre_offset_head import CentreOffsetHead, centre_offsets
from unibench.models.segmentors.semantic import instance_masks


def test_offsets_point_from_each_thing_pixel_to_its_mass_centre_and_ignore_stuff():
    masks = torch.zeros((3, 4, 6), dtype=torch.bool)
    masks[0, 0:2, 0:2] = True   # thing, centre (0.5, 0.5)
    masks[1, 1:4, 3] = True     # thing, centre (2, 3)
    masks[2, 3, 0:3] = True     # stuff: no target
    offsets, valid = centre_offsets(masks, torch.tensor([0, 1, 5]), num_things_classes=2)
    assert valid.sum() == 4 + 3
    assert not valid[3, 0:3].any()
    assert offsets[:, 0, 0].tolist() == [0.5, 0.5]
    assert offsets[:, 1, 1].tolist() == [-0.5, -0.5]
    assert offsets[:, 1, 3].tolist() == [1.0, 0.0]
    assert offsets[:, 3, 3].tolist() == [-1.0, 0.0]
    assert offsets[:, ~valid].abs().sum() == 0


class _Identity(torch.nn.Module):
    """A 'dense head' that returns its single feature map (for exact loss values)."""

    def __init__(self, **kwargs) -> None:
        super().__init__()

    def forward(self, feats):
        return feats[0]


def test_the_loss_is_the_mean_l1_over_thing_pixels_times_its_weight(monkeypatch):
    from unibench.registry import MODELS
    monkeypatch.setitem(MODELS._module_dict, '_IdentityHead', _Identity)
    head = CentreOffsetHead(head=dict(type='_IdentityHead'), num_things_classes=1,
                            loss_weight=0.5)
    masks = torch.zeros((1, 2, 2), dtype=torch.bool)
    masks[0, 0, :] = True  # centre (0, 0.5): targets (0, 0.5) and (0, -0.5)
    pred = torch.zeros((1, 2, 2, 2))
    pred[0, 0, 1, 1] = 7.0  # a non-thing pixel: ignored
    loss = head.loss([pred], [masks], [torch.tensor([0])])['loss_offset']
    assert loss.item() == pytest.approx(0.5 * (0.5 + 0.5) / 2)


def test_offsets_need_the_panoptic_task_and_say_so():
    sample = DetDataSample(metainfo=dict(task='semantic', img_path='a.png'))
    sample.gt_instances = InstanceData(masks=torch.zeros((1, 2, 2), dtype=torch.bool),
                                       labels=torch.tensor([0]))
    with pytest.raises(KeyError, match=r"a.png.*panoptic.*got task 'semantic'"):
        instance_masks(sample, (2, 2), torch.device('cpu'))
    sample.set_metainfo(dict(task='panoptic'))
    masks, labels = instance_masks(sample, (3, 4), torch.device('cpu'))
    assert masks.shape == (1, 3, 4) and labels.tolist() == [0]


def test_a_pretraining_with_offsets_learns_them():
    """The pre-training segmentor with an offset head: both losses fall on one batch, and the
    inference model has no offset head (a training loss)."""
    from mmengine.config import Config

    from unibench.registry import MODELS
    cfg = Config.fromfile('configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py')
    model_cfg = cfg.model.copy()
    model_cfg.offset_head = dict(type='CentreOffsetHead', num_things_classes=2,
                                 head=dict(cfg.model.decode_head))
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    samples = []
    for i in range(2):
        s = DetDataSample(metainfo=dict(task='panoptic', img_shape=(32, 32), ori_shape=(32, 32),
                                        pad_shape=(32, 32)))
        masks = torch.zeros((3, 32, 32), dtype=torch.bool)
        masks[0, 4 + i:14, 4:14] = True
        masks[1, 18:30, 16 + i:30] = True
        masks[2] = ~(masks[0] | masks[1])
        s.gt_instances = InstanceData(masks=masks, labels=torch.tensor([0, 1, 3]))
        samples.append(s)
    inputs = torch.randn(2, 3, 32, 32)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    first = None
    for _ in range(30):
        losses = model.loss(inputs, samples)
        if first is None:
            first = {k: v.item() for k, v in losses.items() if 'loss' in k}
        total = sum(v for k, v in losses.items() if 'loss' in k)
        opt.zero_grad()
        total.backward()
        opt.step()
    assert losses['loss_offset'].item() < 0.5 * first['loss_offset']
    assert losses['decode.loss_ce'].item() < first['decode.loss_ce']
    inference = MODELS.build(dict(model_cfg, train_cfg=None))
    assert inference.offset_head is None
    assert inference.num_parameters() == model.num_parameters()
    assert model.num_parameters(inference=False) > model.num_parameters()
