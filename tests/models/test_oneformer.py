"""OneFormer: a tiny model trains on every task, conditions on the task, drops its text mapper."""
import copy

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import InstanceData

import unibench  # noqa: F401  (registers the unibench modules)
from unibench.registry import MODELS
from unibench.testing import assert_every_parameter_has_a_gradient

TASKS = ('panoptic', 'instance', 'semantic')
SIZE = 64
EMBED = 32
NUM_THINGS, NUM_STUFF = 3, 2
CLASSES = ('circle', 'square', 'star', 'sky', 'grass')


def tiny_cfg(train: bool = True) -> ConfigDict:
    """OneFormer-tiny: ResNet-18/16, embed 32, 2 decoder layers, 8 queries (2 context)."""
    attn = dict(embed_dims=EMBED, num_heads=4, attn_drop=0.0, proj_drop=0.0,
                dropout_layer=dict(type='Dropout', drop_prob=0.0), batch_first=True)
    ffn = dict(embed_dims=EMBED, feedforward_channels=64, num_fcs=2, ffn_drop=0.0,
               act_cfg=dict(type='ReLU', inplace=True))
    layer = dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn)
    return ConfigDict(
        type='OneFormer',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3,
                               bgr_to_rgb=True, pad_size_divisor=32, pad_mask=True),
        # zero_init_residual=False: mmdet's zero-initialised last BN of each block would leave
        # the residual branches without gradient at step 0.
        backbone=dict(type='mmdet.ResNet', depth=18, base_channels=16, out_indices=(0, 1, 2, 3),
                      norm_cfg=dict(type='BN'), norm_eval=False, zero_init_residual=False,
                      init_cfg=None),
        panoptic_head=dict(
            type='OneFormerHead', num_things_classes=NUM_THINGS, num_stuff_classes=NUM_STUFF,
            num_queries=8, embed_dims=EMBED,
            pixel_decoder=dict(
                type='mmdet.MSDeformAttnPixelDecoder', num_outs=3,
                norm_cfg=dict(type='GN', num_groups=8), act_cfg=dict(type='ReLU'),
                encoder=dict(num_layers=1, layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=EMBED, num_heads=4, num_levels=3, num_points=2,
                                       dropout=0.0, batch_first=True),
                    ffn_cfg=ffn)),
                positional_encoding=dict(num_feats=EMBED // 2, normalize=True)),
            query_init=dict(num_layers=2, return_intermediate=False, layer_cfg=layer),
            transformer_decoder=dict(num_layers=2, layer_cfg=layer),
            criterion=dict(
                type='SetCriterion',
                assigner=dict(type='HungarianAssigner', match_costs=[
                    dict(type='ClassificationCost', weight=2.0),
                    dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
                    dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
                loss_cls=dict(type='CrossEntropyLoss', loss_weight=2.0),
                loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=5.0),
                loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True,
                               naive_dice=True, eps=1.0, loss_weight=5.0),
                num_points=1024,
                loss_contrastive=dict(type='QueryTextContrastiveLoss', loss_weight=0.5))),
        text_mapper=dict(type='TextMapper', class_names=CLASSES, num_ctx=2, width=EMBED,
                         num_layers=1, num_heads=2),
        panoptic_fusion_head=dict(type='TaskFusionHead', num_things_classes=NUM_THINGS,
                                  num_stuff_classes=NUM_STUFF, init_cfg=None),
        train_cfg=dict() if train else None,
        test_cfg=dict(iou_thr=0.8, object_mask_thr=0.0, filter_low_score=True, max_per_image=8))


def build(train: bool = True, seed: int = 0):
    init_default_scope('unibench')
    torch.manual_seed(seed)
    model = MODELS.build(tiny_cfg(train))
    model.init_weights()
    return model


def batch(model, tasks=TASKS, training: bool = True):
    """Images with a thing square, a stuff band and a second thing per sample."""
    rng = np.random.default_rng(0)
    imgs, samples = [], []
    for task in tasks:
        masks = np.zeros((3, SIZE, SIZE), np.uint8)
        masks[0, 8:28, 8:28] = 1  # thing 0
        masks[1, 40:, :] = 1  # stuff 3
        masks[2, 8:28, 36:56] = 1  # thing 1
        img = rng.uniform(0, 60, (3, SIZE, SIZE)).astype(np.float32)
        img[:, masks[0] == 1] += 180
        img[0, masks[1] == 1] += 120
        img[1, masks[2] == 1] += 190
        sample = DetDataSample(metainfo=dict(task=task, img_shape=(SIZE, SIZE),
                                             ori_shape=(SIZE, SIZE), scale_factor=(1.0, 1.0)))
        keep = [0, 2] if task == 'instance' else [0, 1, 2]
        sample.gt_instances = InstanceData(labels=torch.tensor([0, 3, 1])[keep],
                                           masks=BitmapMasks(masks[keep], SIZE, SIZE))
        imgs.append(torch.from_numpy(img))
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=imgs, data_samples=samples), training)


@pytest.fixture(scope='module')
def model():
    return build()


def test_train_step_every_task_gradients(model):
    model.train()
    model.zero_grad()
    losses = model(**batch(model), mode='loss')
    # 3 outputs (initial queries + 2 layers) x 3 terms + the contrastive term once
    assert len(losses) == 10 and 'loss_contrastive' in losses and 'd1.loss_dice' in losses
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    zero = assert_every_parameter_has_a_gradient(model)
    # The pixel decoder's level encoding reaches the loss only through the sampling offsets and
    # attention weights of MSDeformAttn, whose weights mmcv initialises to zero.
    assert zero == ['panoptic_head.pixel_decoder.level_encoding.weight']


@pytest.mark.parametrize('task', TASKS)
def test_single_task_batch(model, task):
    model.train()
    model.zero_grad()
    losses = model(**batch(model, (task, task)), mode='loss')
    total = sum(losses.values())
    total.backward()
    assert torch.isfinite(total)
    assert model.text_mapper.encoder.positional_embedding.grad.abs().sum() > 0


def test_overfits_one_batch():
    model = build(seed=1)
    data = batch(model)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    model.train()
    history = []
    for _ in range(15):
        losses = model(**data, mode='loss')
        total = sum(losses.values())
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append(total.item())
    assert history[-1] < 0.5 * history[0], history


def test_predictions_follow_the_task_token(model):
    model.eval()
    with torch.no_grad():
        data = batch(model, TASKS, training=False)
        feats = model.extract_feat(data['inputs'])
        cls_scores, mask_preds, _ = model.panoptic_head(feats, data['data_samples'])
        out = model(**batch(model, TASKS, training=False), mode='predict')
    same_image = [torch.allclose(cls_scores[-1][0], cls_scores[-1][i]) for i in (1, 2)]
    assert not any(same_image)  # identical images, different tasks -> different predictions
    assert not torch.allclose(mask_preds[-1][0], mask_preds[-1][1])
    assert 'pred_panoptic_seg' in out[0] and out[0].pred_panoptic_seg.sem_seg.shape[-2:] == (
        SIZE, SIZE)
    assert 'pred_instances' in out[1] and len(out[1].pred_instances) <= 8
    assert 'pred_sem_seg' in out[2] and out[2].pred_sem_seg.sem_seg.max() < NUM_THINGS + NUM_STUFF


def test_inference_model_has_no_text_mapper(model):
    infer = build(train=False)
    assert infer.text_mapper is None and infer.panoptic_head.criterion is None
    mapper = sum(p.numel() for p in model.text_mapper.parameters())
    criterion = sum(p.numel() for p in model.panoptic_head.criterion.parameters())
    assert criterion == 1  # the contrastive logit scale
    total = model.num_parameters(inference=False)
    assert infer.num_parameters(inference=False) == total - mapper - criterion
    assert model.num_parameters(inference=True) == infer.num_parameters(inference=False)


def test_training_checkpoint_loads_into_inference_model(model):
    infer = build(train=False, seed=3)
    state = copy.deepcopy(model.state_dict())
    assert any(k.startswith('text_mapper.') for k in state)
    infer.load_state_dict(copy.deepcopy(state), strict=True)  # training-only keys dropped
    messages = []

    class Logger:
        def warning(self, msg):
            messages.append(msg)

    load_state_dict(infer, copy.deepcopy(state), strict=False, logger=Logger())
    assert not messages
    for key, value in infer.state_dict().items():
        torch.testing.assert_close(value, state[key])


def test_shapes_config_builds():
    cfg = Config.fromfile('configs/oneformer/oneformer_r18_1xb8-3k_shapes.py')
    init_default_scope('unibench')
    model = MODELS.build(cfg.model)
    assert model.family == 'oneformer' and model.panoptic_head.num_queries == 32
    assert model.text_mapper.num_texts == 16
    assert model.text_mapper.class_names[0] == 'circle'


# Published parameter counts (millions) of the inference model: OneFormer paper Tab. 1 (ADE20K),
# Tab. 2 (Cityscapes), Tab. 3 (COCO) and App. Tab. II (R50, ADE20K).
PAPER_PARAMS = {
    'oneformer_r50_8xb2-160k_ade20k.py': 47,
    'oneformer_swin-l_8xb2-160k_ade20k.py': 219,
    'oneformer_convnext-l_8xb2-160k_ade20k.py': 220,
    'oneformer_swin-l_8xb2-90k_cityscapes.py': 219,
    'oneformer_swin-l_8xb2-100e_coco.py': 219,
}


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(PAPER_PARAMS))
def test_paper_parameter_counts(name):
    cfg = Config.fromfile(f'configs/oneformer/{name}')
    cfg.model.train_cfg = None  # the inference model, as tools/test.py builds it
    init_default_scope('unibench')
    model = MODELS.build(cfg.model)
    assert round(model.num_parameters() / 1e6) == PAPER_PARAMS[name]
