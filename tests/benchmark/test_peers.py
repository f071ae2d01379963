"""The peer-speed suite builds the same model in each framework and times it end to end."""
import json

import pytest
from mmengine.config import Config

from unibench.benchmark.kernels import deform_attn_shapes
from unibench.benchmark.peer_suite import run_and_report
from unibench.benchmark.peers import build_peers, time_peers
from unibench.reporting.performance import MARKER, write_performance

pytest.importorskip('transformers')

M2F = 'configs/mask2former/mask2former_r18_1xb8-3k_shapes-panoptic.py'
ONEFORMER = 'configs/oneformer/oneformer_r18_1xb8-3k_shapes.py'
SMALL = {'model.panoptic_head.pixel_decoder.encoder.num_layers': 1,
         'model.panoptic_head.transformer_decoder.num_layers': 2,
         'model.panoptic_head.criterion.num_points': 64}


def small(path, **extra):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict({**SMALL, **extra})
    return cfg


def test_every_framework_builds_the_same_mask2former():
    peers = build_peers(small(M2F), batch=2, size=64)
    assert [p.name for p in peers] == ['unibench', 'mmdet', 'transformers']
    counts = {p.name: sum(x.numel() for x in p.model.parameters()) for p in peers}
    assert len(set(counts.values())) == 1, counts  # one architecture, three implementations
    times = time_peers(peers, steps=1, warmup=0, infer_images=1)
    assert all(t['train_s'] > 0 and t['infer_ms'] > 0 for t in times.values())


def test_oneformer_has_no_mmdet_peer_and_the_same_size_as_transformers():
    peers = build_peers(small(ONEFORMER, **{'model.text_mapper.num_layers': 1}), batch=2,
                        size=64)
    assert [p.name for p in peers] == ['unibench', 'transformers']
    counts = [sum(x.numel() for x in p.model.parameters()) for p in peers]
    # transformers keeps OneFormer's contrastive logit scale in the model, unibench in its
    # criterion (both train it): one parameter apart.
    assert abs(counts[0] - counts[1]) <= 1, counts
    time_peers(peers, steps=1, warmup=0, infer_images=1)



SUITE = 'configs/benchmarks/peers.py'


@pytest.mark.parametrize('index', range(len(Config.fromfile(SUITE).gpu_settings)))
def test_the_gpu_settings_run_on_the_cpu(index):
    """The suite's GPU settings (R50 at 1024², fp32 and bf16) are the CPU-tested script: each
    builds every implementation from its config, with the same parameter count, and trains and
    infers once, here at 64² with the setting's precision and the layers cut down."""
    setting = Config.fromfile(SUITE).gpu_settings[index]
    cfg = Config.fromfile(setting['config'])
    cfg.merge_from_dict({**SMALL, **setting.get('cfg_options', {}),
                         'model.backbone.init_cfg': None})
    peers = build_peers(cfg, batch=1, size=64, precision=setting.get('precision', 'fp32'))
    family = cfg.model.type.lower()
    expected = ['unibench', 'mmdet', 'transformers'] if family == 'mask2former' else [
        'unibench', 'transformers']
    assert [p.name for p in peers] == expected
    counts = [sum(x.numel() for x in p.model.parameters()) for p in peers]
    assert max(counts) - min(counts) <= 1, counts  # OneFormer's logit scale: see above
    times = time_peers(peers, steps=1, warmup=0, infer_images=1)
    assert all(t['train_s'] > 0 and t['infer_ms'] > 0 for t in times.values())

def test_the_attention_kernel_is_timed_at_the_settings_shapes():
    cfg = Config.fromfile('configs/mask2former/mask2former_r50_8xb2-50e_coco-panoptic.py')
    assert deform_attn_shapes(cfg, batch=2, size=256) == dict(
        batch=2, heads=8, channels=32, points=4, levels=3, sides=[8, 16, 32])


def test_the_suite_writes_the_record_and_the_report(tmp_path):
    suite = tmp_path / 'peers.py'
    options = {**SMALL, 'model.panoptic_head.num_queries': 8}
    suite.write_text(f"""
work_root = {str(tmp_path / 'work')!r}
out = {str(tmp_path / 'performance.md')!r}
steps, warmup, infer_images = 1, 0, 1
settings = [dict(name='tiny M2F', config={M2F!r}, size=64, batch=2, cfg_options={options!r})]
""")
    paths = run_and_report(str(suite), device='cpu', memory=False)
    record = json.loads((tmp_path / 'work' / 'cpu.json').read_text())
    assert set(record['settings'][0]['results']) == {'unibench', 'mmdet', 'transformers'}
    text = (tmp_path / 'performance.md').read_text()
    assert '| tiny M2F | unibench |' in text and 'HF transformers' in text
    attn = record['settings'][0]['deform_attn']
    assert set(attn) == {'mmcv', 'unibench'} and all(
        t['forward_ms'] > 0 and t['backward_ms'] > 0 for t in attn.values())
    assert 'Deformable attention alone' in text and '\n| tiny M2F | ' in text.split(
        'Deformable attention alone')[1]
    assert paths[1].endswith('performance.png')
    # an analysis written below the generated table survives a regeneration; the table is new
    (tmp_path / 'performance.md').write_text(text.replace('| tiny M2F |', '| old |')
                                             + '\n## Where the time goes\nwritten by hand\n')
    write_performance([record], str(tmp_path / 'performance.md'), command='again')
    text = (tmp_path / 'performance.md').read_text()
    assert '| old |' not in text and '| tiny M2F | unibench |' in text and '`again`' in text
    assert text.endswith(MARKER + '\n\n## Where the time goes\nwritten by hand\n')


def _linear_output_dtypes(model):
    """Records the output dtype of every nn.Linear the model runs (forward hooks)."""
    import torch
    seen = set()
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(lambda m, i, o: seen.add(o.dtype))
    return seen


@pytest.mark.parametrize('precision', ['bf16', 'fp32'])
def test_every_implementation_trains_in_the_settings_precision(precision):
    # The demo configs train in bf16 themselves: fp32 asked must be fp32 for unibench too.
    import torch
    cfg = small('configs/mask2former/mask2former_r18-w32_1xb16-1k_shapes64-panoptic.py',
                **{'model.backbone.init_cfg': None})
    peers = build_peers(cfg, batch=2, size=64, precision=precision)
    assert [p.name for p in peers] == ['unibench', 'mmdet', 'transformers']
    for peer in peers:
        seen = _linear_output_dtypes(peer.model)
        peer.model.train()
        peer.train_step()
        if precision == 'fp32':
            assert seen == {torch.float32}, (peer.name, seen)
        else:
            assert torch.bfloat16 in seen, (peer.name, seen)
    # unibench keeps its pixel decoder in fp32 under autocast (the official code's AMP), its
    # masked-attention decoder in bf16.
    head = peers[0].model.panoptic_head
    pixel, decoder = _linear_output_dtypes(head.pixel_decoder), _linear_output_dtypes(head.decoder)
    peers[0].train_step()
    assert pixel == {torch.float32}
    assert decoder == ({torch.bfloat16} if precision == 'bf16' else {torch.float32})


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision 'fp16' is not one of"):
        build_peers(small(M2F), batch=2, size=64, precision='fp16')
