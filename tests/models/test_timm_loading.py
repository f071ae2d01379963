"""TimmBackbone loads the checkpoints people have: timm's own names, the official ConvNeXt release
(converted by timm), the features-only names; a partial checkpoint is an error listing the gaps."""
import pytest
import timm
import torch

from unibench.registry import MODELS

NAME = 'test_convnext'


def backbone(path=None, **kwargs):
    init = dict(type='Pretrained', checkpoint=str(path)) if path else None
    torch.manual_seed(1)  # other random weights than the source's
    return MODELS.build(dict(type='TimmBackbone', model_name=NAME, init_cfg=init, **kwargs))


def source_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return timm.create_model(NAME)


def assert_loaded(model, source):
    model.init_weights()
    theirs = {k.replace('.', '_', 1) if k.startswith(('stem.', 'stages.')) else k: v
              for k, v in source.state_dict().items()}
    own = model.model.state_dict()
    assert own and all(torch.equal(v, theirs[k]) for k, v in own.items())


@pytest.mark.parametrize('wrap', ['plain', 'state_dict', 'model+backbone.'])
def test_a_timm_checkpoint_loads_every_weight(tmp_path, wrap):
    source = source_model()
    state = source.state_dict()  # stem.0.*, stages.0.*, head.* (the classifier, unused)
    if wrap == 'state_dict':
        state = dict(state_dict=state)
    elif wrap == 'model+backbone.':
        state = dict(model={f'backbone.{k}': v for k, v in state.items()})
    torch.save(state, tmp_path / 'timm.pth')
    model = backbone(tmp_path / 'timm.pth')
    assert not torch.equal(model.model.stem_0.weight, source.stem[0].weight)  # before: random
    assert_loaded(model, source)


def test_the_official_convnext_release_loads_through_timms_converter(tmp_path):
    source = source_model()
    official = {}  # the facebookresearch/ConvNeXt names timm's checkpoint_filter_fn converts
    for k, v in source.state_dict().items():
        k = k.replace('stem.', 'downsample_layers.0.').replace('.conv_dw.', '.dwconv.')
        k = k.replace('.mlp.fc1.', '.pwconv1.').replace('.mlp.fc2.', '.pwconv2.')
        k = k.replace('.blocks.', '.').replace('head.norm.', 'norm.').replace('head.fc.', 'head.')
        if k.startswith('stages.') and '.downsample.' in k:
            stage, rest = k[len('stages.'):].split('.downsample.')
            k = f'downsample_layers.{stage}.{rest}'
        official[k] = v
    assert 'downsample_layers.0.0.weight' in official and 'stages.0.0.dwconv.weight' in official
    torch.save(dict(model=official), tmp_path / 'official.pth')
    assert_loaded(backbone(tmp_path / 'official.pth'), source)


def test_a_partial_checkpoint_is_an_error_that_lists_what_is_missing(tmp_path):
    state = {k: v for k, v in source_model().state_dict().items() if not k.startswith('stages.3')}
    torch.save(state, tmp_path / 'partial.pth')
    with pytest.raises(ValueError, match=r'partial.pth does not cover TimmBackbone\(test_convnext'
                                         r'\).*weights missing, e.g. \[.stages_3'):
        backbone(tmp_path / 'partial.pth').init_weights()


def test_a_checkpoint_of_another_model_is_an_error(tmp_path):
    torch.save(timm.create_model('resnet18').state_dict(), tmp_path / 'r18.pth')
    with pytest.raises(ValueError, match='weights missing'):
        backbone(tmp_path / 'r18.pth').init_weights()


def test_a_truncated_checkpoint_names_the_file(tmp_path):
    torch.save(source_model().state_dict(), tmp_path / 'ok.pth')
    (tmp_path / 'cut.pth').write_bytes((tmp_path / 'ok.pth').read_bytes()[:500])
    with pytest.raises(ValueError, match='cannot read checkpoint .*cut.pth'):
        backbone(tmp_path / 'cut.pth').init_weights()


def test_out_norm_normalises_each_level_channels_first():
    plain, normed = backbone(), backbone(out_norm=True)
    normed.model.load_state_dict(plain.model.state_dict())
    x = torch.randn(2, 3, 64, 64)
    for raw, out, norm in zip(plain(x), normed(x), normed.out_norms):
        mean = raw.mean(1, keepdim=True)
        var = raw.var(1, keepdim=True, unbiased=False)
        torch.testing.assert_close(out, (raw - mean) / torch.sqrt(var + 1e-6))
        assert norm.eps == 1e-6


def test_the_pretrained_initialiser_refuses_a_partial_checkpoint(tmp_path):
    cfg = dict(type='mmdet.ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3))
    source = MODELS.build(cfg)
    state = source.state_dict()
    state['fc.weight'] = torch.zeros(10, 512)  # a classifier head: unused, not an error
    torch.save(state, tmp_path / 'full.pth')
    model = MODELS.build(dict(cfg, init_cfg=dict(type='Pretrained',
                                                 checkpoint=str(tmp_path / 'full.pth'))))
    model.init_weights()
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    partial = {k: v for k, v in state.items() if not k.startswith('layer4.')}
    torch.save(partial, tmp_path / 'partial.pth')
    model = MODELS.build(dict(cfg, init_cfg=dict(type='Pretrained',
                                                 checkpoint=str(tmp_path / 'partial.pth'))))
    with pytest.raises(ValueError, match=r'partial.pth does not cover ResNet: \d+ of \d+ weights '
                                         r'missing, e.g. \[.layer4'):
        model.init_weights()
