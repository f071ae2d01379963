"""bf16 autocast training (AutocastOptimWrapper) and the --amp switch."""
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

import unibench  # noqa: F401  (registers the wrapper)
from unibench.engine.amp import AutocastOptimWrapper
from unibench.engine.config import load_config

M2F_DEMO = 'configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py'
SHAPES_RECIPE = [
    M2F_DEMO,
    'configs/oneformer/oneformer_r18-w32_1xb16-1k_shapes64.py',
    'configs/seggpt/seggpt_vit-t_1xb16-2k_shapes64.py',
    'configs/pretrain/fpn_r18-w32_1xb32-2400_shapes64-dense.py',
    'configs/pretrain/fpn_vit-t_1xb32-2400_shapes64-dense-offset.py',
]


def _wrapper(model: nn.Module, **kwargs) -> AutocastOptimWrapper:
    return AutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_the_forward_runs_in_bf16_the_parameters_and_gradients_stay_fp32():
    torch.manual_seed(0)
    model = nn.Linear(8, 4)
    wrapper = _wrapper(model)
    before = model.weight.detach().clone()
    x = torch.randn(16, 8)
    with wrapper.optim_context(model):
        y = model(x)
    assert y.dtype == torch.bfloat16
    # The product of bf16-rounded operands, accumulated in fp32 and rounded to bf16 once.
    ref = (x.bfloat16().float() @ model.weight.bfloat16().float().T + model.bias.bfloat16().float())
    torch.testing.assert_close(y.float(), ref.bfloat16().float(), rtol=0, atol=0)
    wrapper.update_params(y.float().pow(2).mean())
    assert model.weight.dtype == torch.float32 and model.weight.grad is None  # zeroed after step
    assert not torch.equal(model.weight, before)
    assert model(x).dtype == torch.float32  # outside the context: fp32


def test_a_regression_trained_under_bf16_autocast_converges():
    torch.manual_seed(0)
    x = torch.randn(256, 6)
    target = x @ torch.randn(6, 1)
    model = nn.Linear(6, 1)
    wrapper = AutocastOptimWrapper(optimizer=torch.optim.Adam(model.parameters(), lr=0.05))
    losses = []
    for _ in range(150):
        with wrapper.optim_context(model):
            loss = (model(x).float() - target).pow(2).mean()
        wrapper.update_params(loss)
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]


def test_its_state_loads_into_a_plain_optim_wrapper():
    model = nn.Linear(3, 2)
    wrapper = AutocastOptimWrapper(optimizer=torch.optim.AdamW(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        loss = model(torch.ones(4, 3)).float().sum()
    wrapper.update_params(loss)
    plain = OptimWrapper(optimizer=torch.optim.AdamW(model.parameters(), lr=0.1))
    plain.load_state_dict(wrapper.state_dict())
    assert plain.optimizer.state_dict()['state'][0]['step'] == 1


@pytest.mark.parametrize('dtype, message', [
    ('float32', "dtype 'float32' is not one of"),
    ('float16', 'float16 without loss scaling is for CUDA only'),
])
def test_a_dtype_it_cannot_train_with_is_refused(dtype, message):
    with pytest.raises(ValueError, match=message):
        _wrapper(nn.Linear(2, 2), dtype=dtype)


def test_amp_on_a_cpu_machine_selects_bf16_autocast(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = load_config('configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py',
                      amp=True)
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    plain = load_config('configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py')
    assert plain.optim_wrapper.type == 'OptimWrapper'


def test_amp_on_cuda_is_the_official_fp16_with_a_dynamic_loss_scale(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = load_config('configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py',
                      amp=True)
    assert (cfg.optim_wrapper.type, cfg.optim_wrapper.loss_scale) == ('AmpOptimWrapper',
                                                                      'dynamic')
    # A config that already trains in bf16 keeps its wrapper.
    kept = load_config(M2F_DEMO, amp=True)
    assert kept.optim_wrapper.type == 'AutocastOptimWrapper'
    assert 'loss_scale' not in kept.optim_wrapper


@pytest.mark.parametrize('config', SHAPES_RECIPE)
def test_the_shapes_suites_train_every_model_in_bf16(config):
    init_default_scope('unibench')
    cfg = Config.fromfile(config)
    wrapper = build_optim_wrapper(nn.Linear(2, 2), cfg.optim_wrapper)
    assert isinstance(wrapper, AutocastOptimWrapper)
    assert (wrapper.cast_dtype, wrapper.device_type) == (torch.bfloat16, 'cpu')


def test_a_cpu_without_bf16_kernels_is_warned_about(monkeypatch):
    from mmengine.logging import MMLogger

    import unibench.engine.amp as amp
    logger = MMLogger.get_current_instance()
    messages = []
    monkeypatch.setattr(logger, 'log', lambda level, msg, *a, **k: messages.append(msg))
    monkeypatch.setattr(amp, 'cpu_has_fast_bf16', lambda: False)
    _wrapper(nn.Linear(2, 2))
    assert any('no oneDNN bf16 kernels' in m and 'optim_wrapper.type=OptimWrapper' in m
               for m in messages)
    monkeypatch.setattr(amp, 'cpu_has_fast_bf16', lambda: True)
    messages.clear()
    _wrapper(nn.Linear(2, 2))
    assert not messages
