"""In-context tuning, prompt files, and the painter through tools/train.py and tools/test.py."""
import re
from pathlib import Path

import pytest
import torch

from unibench.engine.painter_prompts import (
    PromptBank,
    attach_prompts,
    load_pairs,
    save_prompts,
    tune_prompt_tensor,
)
from unibench.registry import DATASETS, MODELS
from unibench.testing import tiny_config
from unibench.testing.processes import run_tool

REPO = Path(__file__).resolve().parents[2]
SHAPES = REPO / 'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py'


@pytest.fixture
def model_and_cfg(tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir=tmp_path)
    # Tests do not build the cached encoder pre-training (tests/engine/test_pretrained.py).
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return attach_prompts(model), cfg


def test_tuning_changes_only_the_prompt_tensor(model_and_cfg):
    model, _ = model_and_cfg
    before = {k: v.clone() for k, v in model.state_dict().items()}
    bank = model.prompt_bank()
    prompt = bank.get('semantic')
    dataset = DATASETS.build(bank.dataset_cfg)
    queries = load_pairs(model, dataset, [i for i in range(4) if i not in prompt.ids][:3],
                         'semantic')
    result = tune_prompt_tensor(model, prompt, queries, 'semantic', iters=15, lr=0.05,
                                batch_size=3)
    tuned = result['prompt']
    assert not torch.allclose(tuned.img, prompt.img)  # the prompt image was learned
    assert torch.equal(tuned.tgt, prompt.tgt) and tuned.ids == prompt.ids
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the model did not move
    assert all(p.grad is None or not p.requires_grad for p in model.parameters())
    losses = result['losses']
    assert len(losses) == 15 and min(losses[-3:]) < losses[0], losses


def test_prompt_file_is_used_at_inference(model_and_cfg, tmp_path):
    model, cfg = model_and_cfg
    prompt = model.prompt_bank().get('semantic')
    learned = prompt.__class__(prompt.img + 0.5, prompt.tgt, prompt.ids, 'test')
    path = tmp_path / 'learned.pt'
    save_prompts(str(path), {'semantic': learned}, dict(iters=0))
    assert not list(tmp_path.glob('*.tmp'))  # written atomically
    bank = PromptBank(model, prompt_dataset=cfg.model.test_cfg.prompt_dataset, num_prompts=1,
                      prompt_seed=0, prompt_split='train', prompt_file=str(path))
    got = bank.get('semantic')
    torch.testing.assert_close(got.img, learned.img)
    assert got.source.startswith('file:')
    assert bank.get('instance').source == 'train:seed0'  # a kind the file lacks: the dataset's
    bad = tmp_path / 'bad.pt'
    torch.save(dict(something=1), str(bad))
    with pytest.raises(ValueError, match='not a prompt file'):
        PromptBank(model, prompt_dataset=None, num_prompts=1, prompt_seed=0,
                   prompt_split='train', prompt_file=str(bad))


@pytest.mark.slow
def test_train_tune_and_test_through_the_tools(tiny_shapes, tmp_path):
    cfg = tiny_config(str(SHAPES), data_root=tiny_shapes, work_dir='unused', max_iters=2)
    cfg.log_level = 'INFO'  # the prompt record is logged at INFO
    cfg.model.backbone.init_cfg = None  # no cached encoder pre-training in tests
    config = tmp_path / 'seggpt_tiny.py'
    cfg.dump(str(config))
    work = tmp_path / 'work'
    run_tool('tools/train.py', str(config), '--work-dir', str(work), timeout=900)
    ckpt = work / 'iter_2.pth'
    assert ckpt.is_file()
    out = run_tool('tools/tune_prompt.py', str(config), str(ckpt), '--out',
                   str(tmp_path / 'learned.pt'), '--iters', '2', '--num-images', '2',
                   timeout=900)
    assert re.search(r'^semantic: loss [\d.]+ -> [\d.]+', out, re.M)
    assert re.search(r'^instance: loss [\d.]+ -> [\d.]+', out, re.M)
    out = run_tool('tools/test.py', str(config), str(ckpt), '--task', 'all', '--prompt',
                   str(tmp_path / 'learned.pt'), '--work-dir', str(tmp_path / 'test'),
                   timeout=900)
    for key in ('panoptic/PQ:', 'instance/segm_mAP:', 'semantic/mIoU:'):
        assert re.search(rf'^{key} [-\d.]+$', out, re.M), key
    assert 'painter prompts: {"kind": "semantic", "source": "file:' in out
