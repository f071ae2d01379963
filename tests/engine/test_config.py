"""--cfg-options handling shared by the tools (unibench.engine.config)."""
from pathlib import Path

import pytest

from unibench.engine.config import load_config

REPO = Path(__file__).parents[2]
M2F = str(REPO / 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py')


def test_an_empty_slot_takes_keys_a_typo_does_not():
    cfg = load_config(M2F, options={'model.backbone.init_cfg.type': 'Pretrained',
                                    'model.backbone.init_cfg.checkpoint': '/local/r18.pth',
                                    'model.backbone.init_cfg.prefix': 'backbone.'})
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='/local/r18.pth',
                                               prefix='backbone.')
    assert load_config(M2F).model.backbone.init_cfg is None  # the file is untouched
    with pytest.raises(KeyError, match="'init_cfgs' is not in model.backbone"):
        load_config(M2F, options={'model.backbone.init_cfgs.type': 'Pretrained'})
    with pytest.raises(KeyError, match="'depths' is not in model.backbone"):
        load_config(M2F, options={'model.backbone.depths': 50})
