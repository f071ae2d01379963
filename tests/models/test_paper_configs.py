"""Every Mask2Former and OneFormer paper config builds its model with the dataset's class counts
and the official loss settings; the published parameter counts."""
import glob
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from unibench.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
PAPER_CONFIGS = sorted(glob.glob(str(REPO / 'configs' / 'mask2former' / '*.py')) +
                       glob.glob(str(REPO / 'configs' / 'oneformer' / '*.py')))
LARGE = ('swin-l', 'convnext-l')
CPU_BUILT = ('swin-', 'convnext-')  # their builds call .item(): not on the meta device


def _build(path: str, *, meta: bool = False):
    cfg = Config.fromfile(path)
    if meta:  # structure and parameter shapes only: no memory, no initialisation
        with torch.device('meta'):
            return cfg, MODELS.build(cfg.model)
    return cfg, MODELS.build(cfg.model)


@pytest.mark.parametrize('path', [
    pytest.param(p, marks=pytest.mark.slow) if any(k in Path(p).name for k in LARGE) else p
    for p in PAPER_CONFIGS], ids=lambda p: Path(p).stem)
def test_paper_config_builds(path: str) -> None:
    # Swin-L's drop-path schedule calls .item(), so the large models build on the CPU (slow).
    cfg, model = _build(path, meta=not any(k in Path(path).name for k in CPU_BUILT))
    head = cfg.model.panoptic_head
    assert (model.num_things_classes, model.num_stuff_classes) == (
        head.num_things_classes, head.num_stuff_classes)
    if cfg.dataset_type != 'ShapesPanopticDataset' and 'semantic' not in Path(path).name:
        # Panoptic / instance models use the dataset's thing count (things first).
        assert head.num_things_classes == cfg.num_things_classes
    assert head.criterion.no_object_weight == 0.1  # NO_OBJECT_WEIGHT, both families
    if 'text_mapper' in cfg.model:  # its texts name the classes the samples carry
        assert 'classes' in cfg.train_dataloader.dataset.pipeline[-1].meta_keys


# Published parameter counts (millions): Mask2Former R50 COCO panoptic (Mask2Former paper, as
# quoted by OneFormer), Swin-L ADE20K panoptic with 200 queries (OneFormer paper Tab. 1).
@pytest.mark.parametrize('name,millions', [
    ('mask2former_r50_8xb2-50e_coco-panoptic.py', 44),
    pytest.param('mask2former_swin-l_8xb2-160k_ade20k-panoptic.py', 216,
                 marks=pytest.mark.slow)])
def test_mask2former_parameter_counts(name: str, millions: int) -> None:
    _, model = _build(str(REPO / 'configs' / 'mask2former' / name))
    assert round(sum(p.numel() for p in model.parameters()) / 1e6) == millions


SHAPES64 = sorted(glob.glob('configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-*.py')
                  + glob.glob('configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64*.py'))


@pytest.mark.parametrize('path', SHAPES64, ids=lambda p: Path(p).stem)
def test_the_shapes64_query_models_are_sized_alike(path: str) -> None:
    """The 64 x 64 benchmark's five query models: 16 queries (OneFormer: 8 of them for text
    entries, and as many detections kept), loading in the training process."""
    cfg = Config.fromfile(path)
    pretrain = cfg.model.backbone.init_cfg.pretrain
    cfg.model.backbone.init_cfg = None  # the cached backbone is not needed to build
    model = MODELS.build(cfg.model)
    assert model.panoptic_head.num_queries == cfg.segment_queries == 16
    # The half-width ResNet-18 of the pre-training it loads, every key and shape.
    trunk = MODELS.build(Config.fromfile(pretrain).model.backbone)
    assert [c.out_channels for c in (model.backbone.layer1[-1].conv2,
                                     model.backbone.layer4[-1].conv2)] == [32, 256]
    assert {k: v.shape for k, v in model.backbone.state_dict().items()} == \
        {k: v.shape for k, v in trunk.state_dict().items()}
    if 'oneformer' in path:
        assert model.text_mapper.num_texts == 16 - cfg.text_context == 8
        assert cfg.model.test_cfg.max_per_image == 16
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        assert loader.num_workers == 0 and not loader.persistent_workers
    assert len(SHAPES64) == 5


def test_the_shapes64_painter_trains_like_the_query_models_on_the_inference_colours() -> None:
    """The demo suite's painter: the query models' batch (16) and only the colours its
    inference prompts use (the class palette, the location palette); its crop, the query models'
    zoom range, is checked in tests/datasets/test_painter_crop.py."""
    painter = Config.fromfile('configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py')
    batches = {Config.fromfile(p).train_dataloader.batch_size for p in SHAPES64}
    assert batches == {painter.train_dataloader.batch_size} == {16}
    colorize = [t for t in painter.train_dataloader.dataset.pipeline
                if t['type'] == 'PainterColorize'][0]
    assert colorize['palette_prob'] == colorize['location_prob'] == 1.0
