"""The Mask2Former Swin leaves, one per official release (facebookresearch/Mask2Former
MODEL_ZOO.md, configs/*/swin/*.yaml), parsed and never built: tools/convert_checkpoint.py converts
a release only into a config of its exact architecture, so each leaf must carry the release's
MODEL.SWIN.*, NUM_OBJECT_QUERIES, SEM_SEG_HEAD.NUM_CLASSES, SOLVER.* and INPUT.CROP.SIZE, and
otherwise be its R50 leaf. The expected values are written out here from the yamls, not read from
the bases the leaves use. Inheritance: at most a leaf over one other leaf over _base_ files."""
import ast
import copy
import functools
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
LEAVES = REPO / 'configs' / 'mask2former'

# MODEL.SWIN: EMBED_DIM, DEPTHS, NUM_HEADS, WINDOW_SIZE, PRETRAIN_IMG_SIZE (224 by default);
# DROP_PATH_RATE 0.3, APE False, PATCH_NORM True for every size.
SWIN = {'t': (96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 224),
        's': (96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 224),
        'b': (128, [2, 2, 18, 2], [4, 8, 16, 32], 12, 384),
        'l': (192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 384)}
# The sizes MODEL_ZOO.md releases per dataset and task (Swin-B: IN-1k and / or IN-22k weights,
# one architecture, one leaf).
RELEASES = {('coco', 'panoptic'): 'tsbl', ('coco', 'instance'): 'tsbl',
            ('cityscapes', 'panoptic'): 'tsbl', ('cityscapes', 'instance'): 'tsbl',
            ('cityscapes', 'semantic'): 'tsbl', ('ade20k', 'panoptic'): 'l',
            ('ade20k', 'instance'): 'l', ('ade20k', 'semantic'): 'tsbl'}
# (things, stuff) the head classifies: instance models the things only, semantic ones all
# classes as stuff (SEM_SEG_HEAD.NUM_CLASSES 133 / 80, 19 / 8 / 19, 150 / 100 / 150).
CLASSES = {('coco', 'panoptic'): (80, 53), ('coco', 'instance'): (80, 0),
           ('cityscapes', 'panoptic'): (8, 11), ('cityscapes', 'instance'): (8, 0),
           ('cityscapes', 'semantic'): (0, 19), ('ade20k', 'panoptic'): (100, 50),
           ('ade20k', 'instance'): (100, 0), ('ade20k', 'semantic'): (0, 150)}
ZOO = [(size, dataset, task) for (dataset, task), sizes in RELEASES.items() for size in sizes]


def schedule(size: str, dataset: str) -> str:
    if dataset == 'coco':
        return '100e' if size == 'l' else '50e'  # SOLVER.MAX_ITER 737,500 / 368,750
    return {'cityscapes': '90k', 'ade20k': '160k'}[dataset]


def leaf(size: str, dataset: str, task: str) -> Path:
    return LEAVES / f'mask2former_swin-{size}_8xb2-{schedule(size, dataset)}_{dataset}-{task}.py'


@functools.lru_cache(maxsize=None)
def parse(path) -> Config:
    return Config.fromfile(path)


def bases(path: Path) -> list:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '_base_'
                                                for t in node.targets):
            names = ast.literal_eval(node.value)
            return [(path.parent / n).resolve() for n in ([names] if isinstance(names, str)
                                                          else names)]
    return []


def leaf_depth(path: Path) -> int:
    """Configs outside configs/_base_ on the longest inheritance chain, this one included."""
    return ('_base_' not in path.parts) + max(map(leaf_depth, bases(path)), default=0)


def test_every_release_has_a_leaf_and_every_swin_leaf_is_a_release():
    present = set(LEAVES.glob('mask2former_swin-*.py'))
    assert present == {leaf(*release) for release in ZOO}


@pytest.mark.parametrize('path', sorted(LEAVES.glob('*.py')), ids=lambda p: p.stem)
def test_inheritance_is_at_most_a_leaf_over_a_leaf_over_base_files(path):
    assert leaf_depth(path) <= 2


@pytest.mark.parametrize('size,dataset,task', ZOO, ids=lambda v: v)
def test_leaf_carries_the_release_settings(size, dataset, task):
    cfg = parse(leaf(size, dataset, task))
    embed_dims, depths, num_heads, window, pretrain = SWIN[size]
    backbone = cfg.model.backbone
    assert backbone.type == 'SwinTransformer'
    assert (backbone.embed_dims, backbone.depths, backbone.num_heads, backbone.window_size,
            backbone.pretrain_img_size) == (embed_dims, depths, num_heads, window, pretrain)
    assert (backbone.drop_path_rate, backbone.use_abs_pos_embed, backbone.patch_norm,
            backbone.out_indices) == (0.3, False, True, (0, 1, 2, 3))
    assert 'depth' not in backbone and 'norm_cfg' not in backbone  # nothing left of the ResNet

    head = cfg.model.panoptic_head
    # NUM_OBJECT_QUERIES: 200 for Swin-L panoptic and instance, 100 elsewhere (Swin-L semantic too)
    assert head.num_queries == (200 if size == 'l' and task != 'semantic' else 100)
    assert cfg.model.test_cfg.max_per_image == 100  # TEST.DETECTIONS_PER_IMAGE, all of them
    assert (head.num_things_classes, head.num_stuff_classes) == CLASSES[dataset, task]

    # SOLVER.MAX_ITER / STEPS; poly decay to the end on ADE20K and Cityscapes
    max_iters = {'coco': 737500 if size == 'l' else 368750, 'cityscapes': 90000,
                 'ade20k': 160000}[dataset]
    assert cfg.train_cfg.max_iters == max_iters
    scheduler = cfg.param_scheduler[0] if isinstance(cfg.param_scheduler, list) else \
        cfg.param_scheduler
    assert scheduler.end == max_iters
    if dataset == 'coco':
        assert scheduler.type == 'MultiStepLR' and scheduler.milestones == (
            [655556, 710184] if size == 'l' else [327778, 355092])
    else:
        assert scheduler.type == 'PolyLR'

    # INPUT.CROP.SIZE (COCO: the LSJ IMAGE_SIZE) and MIN_SIZE_TEST
    crop = {'coco': (1024, 1024), 'cityscapes': (1024, 512),  # mmdet (w, h)
            'ade20k': (512, 512) if task == 'semantic' and size in 'ts' else (640, 640)}[dataset]
    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    test = {t.type: t for t in cfg.test_dataloader.dataset.pipeline}
    assert tuple(train['RandomCrop'].crop_size) == crop
    if dataset == 'ade20k':  # short side 0.5-2.0 x crop, long side <= 4 x crop; test at the crop
        assert train['RandomChoiceResize'].scales == [(4 * crop[0], int(x * 0.1 * crop[0]))
                                                      for x in range(5, 21)]
        assert tuple(test['Resize'].scale) == (4 * crop[0], crop[0])

    # Trained on its task only (the semantic data has no other); TEST.*_ON: panoptic models are
    # evaluated on all three tasks
    tasks = cfg.train_dataloader.dataset.get('tasks', train['DeriveTaskTargets'].get('tasks'))
    assert tuple(tasks) == (task, )
    assert cfg.train_dataloader.dataset.get('filter_cfg', {}).get('filter_empty_gt', False) == (
        task == 'instance')  # DATALOADER.FILTER_EMPTY_ANNOTATIONS on the instance data
    assert cfg.val_cfg.get('tasks') == cfg.test_cfg.get('tasks') == (
        None if task == 'panoptic' else [task])


# What a release may change against its R50 leaf (tested above); everything else must match.
DELTAS = {'num_queries', 'max_iters', 'image_size', 'train_pipeline', 'test_pipeline',
          'resize_640', 'swin_t', 'swin_s', 'swin_b', 'swin_l'}
SIZED = {'RandomChoiceResize', 'RandomCrop', 'Resize'}  # the steps a crop size changes


@pytest.mark.parametrize('size,dataset,task', ZOO, ids=lambda v: v)
def test_leaf_is_its_r50_leaf_but_for_the_release_deltas(size, dataset, task):
    r50 = str(leaf(size, dataset, task)).replace(f'swin-{size}', 'r50').replace('100e', '50e')

    def rest(path):
        cfg = copy.deepcopy(parse(path).to_dict())
        for k in DELTAS:
            cfg.pop(k, None)
        del cfg['model']['backbone'], cfg['model']['panoptic_head']['num_queries']
        cfg.pop('param_scheduler'), cfg['train_cfg'].pop('max_iters')
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            dataset = cfg[loader]['dataset']
            dataset['pipeline'] = [t for t in dataset['pipeline'] if t['type'] not in SIZED] + [
                t['type'] for t in dataset['pipeline'] if t['type'] in SIZED]
        return cfg

    assert rest(leaf(size, dataset, task)) == rest(r50)
