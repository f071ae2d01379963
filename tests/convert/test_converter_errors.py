"""What the converter framework refuses, and how it says so: a source that does not fit the config
(missing / unexpected keys, shape mismatches), a release whose class list is not the config's, a
pickle that is not a detectron2 checkpoint, an unknown family or source."""
import json
import os
import pickle

import pytest
import torch
from mmengine.config import Config

from unibench.convert import build_inference_model, convert_checkpoint, converter, read_source
from unibench.convert.common import check_class_names, class_permutation
from unibench.datasets.real import ADE20K_150, CITYSCAPES_19, COCO_PANOPTIC


def tiny_cfg(dataset='ADE20KPanopticDataset', things=100, stuff=50) -> Config:
    cfg = Config.fromfile('configs/_base_/models/mask2former_tiny.py')
    cfg.model.panoptic_head.num_things_classes = things
    cfg.model.panoptic_head.num_stuff_classes = stuff
    cfg.test_dataloader = dict(dataset=dict(type=dataset))
    return cfg


def official_state(cfg):
    """The tiny model's weights in detectron2 names (via the round-trip test's table)."""
    from test_official_roundtrip import to_official  # tests/convert is on sys.path
    return to_official(build_inference_model(cfg).state_dict(), cfg)


def write_pkl(path, state):
    with open(path, 'wb') as f:
        pickle.dump(dict(model={k: v.numpy() for k, v in state.items()}), f)
    return str(path)


def test_missing_unexpected_and_shapes_are_listed(tmp_path):
    cfg = tiny_cfg()
    state = official_state(cfg)
    state.pop('sem_seg_head.predictor.query_feat.weight')
    state['sem_seg_head.predictor.query_embed.weight'] = torch.zeros(9, 32)  # 8 queries
    state['sem_seg_head.predictor.static_query.weight'] = torch.zeros(8, 32)  # unknown key
    with pytest.raises(ValueError) as info:
        convert_checkpoint(write_pkl(tmp_path / 'm.pkl', state), config=cfg, source='official')
    message = str(info.value)
    assert '1 of' in message and "'panoptic_head.query_feat.weight'" in message  # missing
    assert "panoptic_head.query_embed.weight: (9, 32) vs (8, 32)" in message  # shape
    assert "'sem_seg_head.predictor.static_query.weight'" in message  # unexpected


def test_classifier_of_another_dataset_is_a_shape_error(tmp_path):
    """A COCO release (133 + 1 rows) against an ADE20K config (150 + 1)."""
    cfg = tiny_cfg()
    state = official_state(cfg)
    state['sem_seg_head.predictor.class_embed.weight'] = torch.zeros(134, 32)
    state['sem_seg_head.predictor.class_embed.bias'] = torch.zeros(134)
    with pytest.raises(ValueError, match='134 class rows, the config 151'):
        convert_checkpoint(write_pkl(tmp_path / 'm.pkl', state), config=cfg, source='official')


def test_class_permutations():
    # ADE20K: thing rows first in native order ('bed' is native 7), "no object" last.
    order = class_permutation(tiny_cfg())
    assert order[0] == 7 and order[-1] == 150 and sorted(order) == list(range(151))
    assert [ADE20K_150[i][1] for i in order[:100]] == [1] * 100
    # Cityscapes: stuff first in train-id order, so things (11..18) move to the front.
    order = class_permutation(tiny_cfg('CityscapesPanopticDataset', 8, 11))
    assert order == list(range(11, 19)) + list(range(11)) + [19]
    # Instance models classify the things only: ADE20K's 100, in native order.
    order = class_permutation(tiny_cfg('ADE20KPanopticDataset', 100, 0))
    assert order == list(range(101))
    # COCO is things first already.
    assert class_permutation(tiny_cfg('COCOPanopticDataset', 80, 53)) == list(range(134))


def test_release_class_list_is_checked():
    cfg = tiny_cfg('COCOPanopticDataset', 80, 53)
    check_class_names(list(COCO_PANOPTIC), cfg, source='release')  # the same list passes
    # HF spellings of the same classes pass ("-merged" suffixes, first synonym).
    check_class_names([n.replace('-merged', '') for n in COCO_PANOPTIC], cfg, source='release')
    shuffled = list(COCO_PANOPTIC[80:]) + list(COCO_PANOPTIC[:80])  # stuff first: not ours
    with pytest.raises(ValueError, match='class list differs from COCOPanopticDataset'):
        check_class_names(shuffled, cfg, source='release')
    with pytest.raises(ValueError, match='the release has 19 classes'):
        check_class_names([n for n, _ in CITYSCAPES_19], cfg, source='release')


def test_hf_folder_class_list_is_checked(tmp_path):
    folder = tmp_path / 'hf'
    folder.mkdir()
    (folder / 'config.json').write_text(json.dumps(dict(id2label={'0': 'cat', '1': 'dog'})))
    from safetensors.torch import save_file
    save_file({'class_predictor.weight': torch.zeros(3, 4)}, str(folder / 'model.safetensors'))
    state, labels = read_source(str(folder))
    assert labels == ['cat', 'dog'] and list(state) == ['class_predictor.weight']
    with pytest.raises(ValueError, match='the release has 2 classes'):
        convert_checkpoint(str(folder), config=tiny_cfg(), source='hf')


def test_pickle_with_code_is_refused(tmp_path):
    path = tmp_path / 'evil.pkl'
    with open(path, 'wb') as f:
        pickle.dump(dict(model=dict(x=os.getcwd)), f)  # a global that is not an array
    with pytest.raises(pickle.UnpicklingError, match='refusing to unpickle'):
        read_source(str(path))


def test_unknown_family_or_source():
    with pytest.raises(ValueError, match="no converter for model.type 'PanopticFPN'"):
        converter('PanopticFPN', 'hf')
    with pytest.raises(ValueError, match="from 'timm'"):
        converter('Mask2Former', 'timm')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_source('/nonexistent/model.pkl')
