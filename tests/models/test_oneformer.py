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
from unibench.testing import (
    TINY_MODELS,
    assert_every_parameter_has_a_gradient,
    assert_prediction_format,
)

TASKS = ('panoptic', 'instance', 'semantic')
SIZE = 64
NUM_THINGS, NUM_STUFF = 3, 2
CLASSES = ('circle', 'square', 'star', 'sky', 'grass')


def tiny_cfg(train: bool = True) -> ConfigDict:
    """configs/_base_/models/oneformer_tiny.py for 3 thing and 2 stuff classes."""
    cfg = Config.fromfile(str(TINY_MODELS['oneformer'])).model
    cfg.panoptic_head.update(num_things_classes=NUM_THINGS, num_stuff_classes=NUM_STUFF)
    cfg.text_mapper.class_names = CLASSES
    cfg.test_cfg.object_mask_thr = 0.0  # untrained scores are low: keep every query's mask
    if not train:
        cfg.train_cfg = None
    return cfg


def build(train: bool = True, seed: int = 0):
    init_default_scope('unibench')
    torch.manual_seed(seed)
    model = MODELS.build(tiny_cfg(train))
    model.init_weights()
    return model


def batch(model, tasks=TASKS, training: bool = True, same_image: bool = False):
    """Images with a thing square, a stuff band and a second thing per sample.

    The background noise differs between the samples unless ``same_image``: then every sample
    is the same image (only the task in its metainfo differs).
    """
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 60, (3, SIZE, SIZE)).astype(np.float32)
    imgs, samples = [], []
    for task in tasks:
        masks = np.zeros((3, SIZE, SIZE), np.uint8)
        masks[0, 8:28, 8:28] = 1  # thing 0
        masks[1, 40:, :] = 1  # stuff 3
        masks[2, 8:28, 36:56] = 1  # thing 1
        img = noise.copy() if same_image else rng.uniform(0, 60, noise.shape).astype(np.float32)
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
    for _ in range(25):  # ~0.2 of the first loss (0.4 at 15 steps)
        losses = model(**data, mode='loss')
        total = sum(losses.values())
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append(total.item())
    assert history[-1] < 0.5 * history[0], history


def test_predictions_follow_the_task_token(model):
    """One image three times: the outputs differ, and only through each sample's task."""
    model.eval()

    def run(tasks):
        data = batch(model, tasks, training=False, same_image=True)
        with torch.no_grad():
            feats = model.extract_feat(data['inputs'])
            cls_scores, mask_preds, _ = model.panoptic_head(feats, data['data_samples'])
        return cls_scores[-1], mask_preds[-1], data

    cls, masks, data = run(TASKS)
    inputs = data['inputs']
    assert torch.equal(inputs[0], inputs[1]) and torch.equal(inputs[0], inputs[2])
    # The same image under different tasks: every pair of outputs differs.
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert not torch.allclose(cls[i], cls[j], atol=1e-3), (TASKS[i], TASKS[j])
        assert not torch.allclose(masks[i], masks[j], atol=1e-3), (TASKS[i], TASKS[j])
    # ... and under one task the outputs agree, wherever the sample sits in the batch: nothing
    # but the task (no batch position, no other sample) makes them differ.
    for task in TASKS:
        one_cls, one_masks, _ = run((task, ) * 3)
        k = TASKS.index(task)
        for i in range(3):
            torch.testing.assert_close(one_cls[i], cls[k], rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(one_masks[i], masks[k], rtol=1e-4, atol=1e-5)
    # The fusion head decodes each sample's own task.
    with torch.no_grad():
        out = model(**data, mode='predict')
    for sample, task in zip(out, TASKS):
        assert_prediction_format(sample, task, num_classes=NUM_THINGS + NUM_STUFF,
                                 num_things_classes=NUM_THINGS, max_instances=8)


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
    # The texts name the classes each training sample carries (the dataset attaches them).
    assert model.text_mapper.class_names is None
    assert 'classes' in cfg.train_dataloader.dataset.pipeline[-1].meta_keys


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
