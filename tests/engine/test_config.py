"""--cfg-options handling shared by the tools (unibench.engine.config)."""
import re
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


def test_an_argument_of_the_configured_type_is_accepted_a_typo_is_not():
    from unibench.engine.config import load_config
    path = 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
    cfg = load_config(path, options={
        'test_evaluator.metrics.panoptic.outfile_prefix': '/tmp/pan'})
    assert cfg.test_evaluator.metrics.panoptic.outfile_prefix == '/tmp/pan'
    with pytest.raises(KeyError, match="'outfile_prefx' is not in test_evaluator.metrics."
                                       'panoptic'):
        load_config(path, options={'test_evaluator.metrics.panoptic.outfile_prefx': '/tmp/p'})


@pytest.mark.parametrize('key,value', [('train_cfg.max_iters', 'abc'),
                                       ('optim_wrapper.optimizer.lr', 'fast'),
                                       ('train_dataloader.batch_size', True)])
def test_a_value_of_the_wrong_type_is_refused(key, value):
    from unibench.engine.config import load_config
    with pytest.raises(TypeError, match=rf'--cfg-options {re.escape(key)}='):
        load_config('configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
                    options={key: value})


def test_numbers_and_none_are_accepted_where_the_config_has_a_number():
    from unibench.engine.config import load_config
    cfg = load_config('configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
                      options={'optim_wrapper.optimizer.lr': 1, 'train_cfg.max_iters': 10,
                               'optim_wrapper.clip_grad': None})
    assert cfg.optim_wrapper.optimizer.lr == 1 and cfg.train_cfg.max_iters == 10


def test_missing_data_is_named_before_any_model_is_built(tmp_path):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, 'tools/train.py', M2F, '--work-dir', str(tmp_path),
                          '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path}/no/'],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode != 0
    assert f'train_dataloader.dataset.data_root not found: {tmp_path}/no/' in out.stderr
    assert 'Mask2Former' not in out.stderr and not list(tmp_path.glob('*/*.log'))  # no Runner


def test_a_class_count_that_disagrees_with_the_data_is_named(tiny_shapes, tmp_path):
    from mmengine.runner import Runner

    from unibench.testing import TINY_MODELS, tiny_config
    cfg = tiny_config(M2F, data_root=tiny_shapes, work_dir=tmp_path, max_iters=1,
                      model=TINY_MODELS['mask2former'])
    cfg.model.panoptic_head.num_things_classes = 5  # the shapes have 7 thing classes
    with pytest.raises(ValueError, match=r"Mask2Former.num_classes is 10, but train_dataloader's "
                                         r'ShapesPanopticDataset has 12 classes'):
        Runner.from_cfg(cfg).train()
