"""SegGPT converter (unibench.convert.seggpt) and equality with transformers' SegGPT.

A tiny ``SegGptForImageSegmentation`` with random (non-trivial) weights is converted with
``from_hf`` and loaded strictly into a unibench ``Painter`` of the same shape; both get the same
normalised prompt pair and query, and are compared stage by stage (CPU, fp32): the embedded
tokens entering block 0, every block's output, the LayerNorm'd encoder features at the output
indices, the painting, then the decoded semantic map. Tolerance: max |diff| <= 1e-4 per tensor
(measured values are about 1e-6; docs/fidelity.md, SegGPT).

HF departs from the official code in its feature ensemble (at the merge block it averages the
image and target streams together), so the equality runs with one prompt and
``feature_ensemble=False``; ``test_hf_feature_ensemble_departure`` pins that departure down.
"""
import copy
import os

import pytest
import torch

os.environ.setdefault('HF_HUB_OFFLINE', '1')
transformers = pytest.importorskip('transformers')
from mmengine.config import Config  # noqa: E402
from transformers import SegGptConfig, SegGptForImageSegmentation  # noqa: E402

from unibench.convert.seggpt import from_hf, from_official, to_official  # noqa: E402
from unibench.models.postprocess.painter_decode import decode_semantic  # noqa: E402
from unibench.models.segmentors.painter import Prompt  # noqa: E402
from unibench.registry import MODELS  # noqa: E402
from unibench.structures.painter import semantic_palette  # noqa: E402

TOL = 1e-4
HALF = 32  # each half of the canvas: 32 x 32, patch 8 -> a 64 x 32 canvas of 8 x 4 tokens
PATCH = 8
DIM, DEPTH, HEADS, MLP, DEC = 32, 6, 2, 64, 8
MERGE, OUT = 2, (3, 4, 5)  # merge after block 2 as the official code; three decoder inputs
PRETRAIN = 32  # absolute positions on a 4 x 4 grid (+ cls), bicubic to 8 x 4
NUM_CLASSES = 20


def hf_config() -> SegGptConfig:
    return SegGptConfig(hidden_size=DIM, num_hidden_layers=DEPTH, num_attention_heads=HEADS,
                        mlp_dim=MLP, image_size=[2 * HALF, HALF], patch_size=PATCH,
                        pretrain_image_size=PRETRAIN, decoder_hidden_size=DEC,
                        merge_index=MERGE, intermediate_hidden_state_indices=list(OUT),
                        drop_path_rate=0.0, qkv_bias=True, use_relative_position_embeddings=True)


def unibench_config() -> Config:
    """The paper model (configs/_base_/models/seggpt_vit-l.py) at the tiny HF model's size."""
    return Config(dict(model=dict(
        type='Painter',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                               pad_size_divisor=1),
        backbone=dict(type='PainterViT', img_size=(2 * HALF, HALF), patch_size=PATCH,
                      embed_dim=DIM, depth=DEPTH, num_heads=HEADS, mlp_ratio=MLP / DIM,
                      qkv_bias=True, drop_path_rate=0.0, pretrain_img_size=PRETRAIN,
                      merge_index=MERGE, out_indices=OUT),
        decode_head=dict(type='PainterHead', decoder_dim=DEC),
        loss=dict(type='MaskedSmoothL1Loss', beta=0.01),
        num_classes=NUM_CLASSES, num_things_classes=8, location_cells=(2, 2),
        test_cfg=dict(num_prompts=1, ensemble='feature'))))


def randomise(model: torch.nn.Module, seed: int = 0) -> None:
    """Every tensor non-trivial: LayerNorms away from (1, 0), rel-pos tables and tokens large
    enough to matter, so a tensor loaded into the wrong place shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if 'layernorm' in name and name.endswith('weight'):
                p.copy_(1 + 0.2 * noise)
            elif 'rel_pos' in name:
                p.copy_(0.5 * noise)
            else:
                p.copy_(0.1 * noise)


@pytest.fixture(scope='module')
def pair():
    torch.manual_seed(0)
    hf = SegGptForImageSegmentation(hf_config()).eval()
    randomise(hf)
    cfg = unibench_config()
    model = MODELS.build(cfg.model).eval()
    converted = from_hf(hf.state_dict(), cfg=cfg)
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return hf, model, cfg


def inputs(seed: int = 1, k: int = 1):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(1, 3, HALF, HALF, generator=g)
    prompt_img = torch.randn(k, 3, HALF, HALF, generator=g)
    prompt_tgt = torch.randn(k, 3, HALF, HALF, generator=g)
    return query, prompt_img, prompt_tgt


def query_mask(n: int) -> torch.Tensor:
    """The inference mask: the whole query half of the target canvas."""
    mask = torch.zeros(n, 2 * HALF // PATCH, HALF // PATCH, dtype=torch.bool)
    mask[:, HALF // PATCH:] = True
    return mask


def record_blocks(blocks, store: list):
    return [b.register_forward_hook(lambda m, a, o: store.append(o[0] if isinstance(o, tuple)
                                                                else o)) for b in blocks]


def run_both(hf, model, kind: str, query, prompt_img, prompt_tgt):
    """Stage outputs of both models for one prompt: dict name -> (hf, unibench)."""
    hf_blocks, ub_blocks, hf_embed, ub_embed = [], [], [], []
    hooks = record_blocks(hf.model.encoder.layers, hf_blocks)
    hooks += record_blocks(model.backbone.blocks, ub_blocks)
    hooks.append(hf.model.embeddings.register_forward_hook(lambda m, a, o: hf_embed.append(o)))
    hooks.append(model.backbone.blocks[0].register_forward_pre_hook(
        lambda m, a: ub_embed.append(a[0])))
    try:
        with torch.no_grad():
            enc = hf.model(pixel_values=query, prompt_pixel_values=prompt_img,
                           prompt_masks=prompt_tgt, embedding_type=kind, feature_ensemble=False)
            hf_paint = hf(pixel_values=query, prompt_pixel_values=prompt_img,
                          prompt_masks=prompt_tgt, embedding_type=kind,
                          feature_ensemble=False).pred_masks
            seg_type = torch.tensor([0 if kind == 'semantic' else 1])
            imgs = torch.cat([prompt_img, query], dim=2)
            tgts = torch.cat([prompt_tgt, prompt_tgt], dim=2)  # query target = prompt target
            feats = model.backbone.forward_pair(imgs, tgts, query_mask(1), seg_type)
            ub_paint, _ = model.inpaint(prompt_img, prompt_tgt, query, prompt_tgt,
                                        query_mask(1), seg_type)
    finally:
        for h in hooks:
            h.remove()
    stages = {'embeddings (block 0 input)': (hf_embed[0], ub_embed[0])}
    for i in range(DEPTH):  # hooks fired twice (encoder-only call, full call): first of each
        stages[f'block {i} output'] = (hf_blocks[i], ub_blocks[i])
    for i, idx in enumerate(OUT):
        stages[f'encoder feature {idx}'] = (enc.intermediate_hidden_states[i], feats[i])
    stages['painting'] = (hf_paint, ub_paint)
    return stages


def max_diffs(stages) -> dict:
    out = {}
    for name, (a, b) in stages.items():
        assert a.shape == b.shape, f'{name}: {tuple(a.shape)} vs {tuple(b.shape)}'
        out[name] = (a - b).abs().max().item()
    return out


@pytest.mark.parametrize('kind', ['semantic', 'instance'])
def test_hf_equality_stage_by_stage(pair, kind):
    hf, model, _ = pair
    stages = run_both(hf, model, kind, *inputs())
    diffs = max_diffs(stages)
    report = '\n'.join(f'  {name}: {d:.2e}' for name, d in diffs.items())
    print(f'\nmax |HF - unibench| ({kind}, k=1, fp32):\n{report}')
    bad = {name: d for name, d in diffs.items() if not d <= TOL}
    assert not bad, f'tensors beyond {TOL}:\n{report}'
    # A non-degenerate comparison: the painting varies and the type token matters.
    assert stages['painting'][0].std() > 0.1


def test_decoded_semantic_map_matches_hf_post_process(pair):
    """The decoded map with matched settings: HF's palette (black background + the Painter
    palette of ``num_labels`` classes), squared distance, no resize. HF labels class c as c + 1
    (0 = background); unibench's ``decode_semantic`` fed the same palette returns the same
    index. The shift and the background are HF's (docs/fidelity.md)."""
    hf, _, cfg = pair
    hf = copy.deepcopy(hf)
    with torch.no_grad():  # a painting spread over many palette colours, not one grey
        hf.decoder.decoder_pred.head.weight.mul_(10)
    model = MODELS.build(cfg.model).eval()
    model.load_state_dict(from_hf(hf.state_dict(), cfg=cfg), strict=True)
    query, prompt_img, prompt_tgt = inputs(seed=2)
    processor = transformers.SegGptImageProcessor()
    with torch.no_grad():
        out = hf(pixel_values=query, prompt_pixel_values=prompt_img, prompt_masks=prompt_tgt,
                 embedding_type='semantic', feature_ensemble=False)
        hf_map = processor.post_process_semantic_segmentation(out, num_labels=NUM_CLASSES)[0]
        prompt = Prompt(img=prompt_img, tgt=prompt_tgt, ids=[0], source='test')
        painting = model.paint(query, 'semantic', prompt=prompt)[0]  # RGB 0-255, query half
    palette = torch.cat([torch.zeros(1, 3), torch.from_numpy(semantic_palette(NUM_CLASSES))
                         .float()])
    assert palette.tolist() == [list(c) for c in processor.get_palette(NUM_CLASSES)]
    ub, dist = decode_semantic(painting, palette, dist_type='square')
    ub_map = ub.sem_seg[0]
    # Pixels whose two nearest colours are (numerically) tied may flip either way.
    top2 = dist.topk(2, dim=0, largest=False).values
    clear = (top2[1] - top2[0]) > 1e-2
    print(f'\nsemantic map: {int(clear.sum())} of {clear.numel()} pixels clear, '
          f'{len(ub_map.unique())} classes, equal to HF on the clear ones')
    assert clear.float().mean() > 0.99
    assert torch.equal(hf_map[clear].long(), ub_map[clear])
    assert len(ub_map.unique()) >= 8  # the map is not one colour


def test_hf_feature_ensemble_departure(pair):
    """k = 2 prompts with the feature ensemble: HF differs from unibench (= the official
    grouping) beyond the tolerance, and only by the merge block: averaging the query half over
    both streams there (HF's ``ensemble_cond``) makes unibench match HF again."""
    hf, model, _ = pair
    query, prompt_img, prompt_tgt = inputs(seed=3, k=2)
    with torch.no_grad():
        hf_paint = hf(pixel_values=query.expand(2, -1, -1, -1), prompt_pixel_values=prompt_img,
                      prompt_masks=prompt_tgt, embedding_type='semantic',
                      feature_ensemble=True).pred_masks
        seg_type = torch.zeros(2, dtype=torch.long)
        args = (prompt_img, prompt_tgt, query.expand(2, -1, -1, -1), prompt_tgt, query_mask(2),
                seg_type)
        official, _ = model.inpaint(*args, num_prompts=2)
        merge_block = model.backbone.blocks[MERGE]
        forward = merge_block.forward
        merge_block.forward = lambda x, num_prompts=1: forward(x, num_prompts=2 * num_prompts)
        try:
            hf_like, _ = model.inpaint(*args, num_prompts=2)
        finally:
            del merge_block.forward
    print(f'\nk=2 feature ensemble: |official grouping - HF| = '
          f'{(official - hf_paint).abs().max():.2e}, |HF grouping - HF| = '
          f'{(hf_like - hf_paint).abs().max():.2e}')
    assert (official - hf_paint).abs().max() > 10 * TOL
    assert (hf_like - hf_paint).abs().max() <= TOL
    # One prompt with HF's flag on: the streams are still averaged together at the merge block.
    query, prompt_img, prompt_tgt = inputs(seed=3)
    with torch.no_grad():
        flag_on = hf(pixel_values=query, prompt_pixel_values=prompt_img, prompt_masks=prompt_tgt,
                     embedding_type='semantic', feature_ensemble=True).pred_masks
        single, _ = model.inpaint(prompt_img, prompt_tgt, query, prompt_tgt, query_mask(1),
                                  torch.zeros(1, dtype=torch.long))
    print(f'k=1, HF feature_ensemble=True: |unibench - HF| = {(single - flag_on).abs().max():.2e}')
    assert (single - flag_on).abs().max() > 10 * TOL


def test_official_round_trip(pair):
    """Official names (models_seggpt.py ``SegGPT``: encoder at the top level, ``decoder_embed``,
    ``decoder_pred.{0,1,3}``) from the HF-converted weights, wrapped as ``seggpt_vit_large.pth``
    is (``{'model': ...}``): ``from_official`` gives back the same unibench tensors."""
    hf, model, cfg = pair
    ours = from_hf(hf.state_dict(), cfg=cfg)
    official = to_official(ours)
    assert 'blocks.0.attn.qkv.weight' in official and 'decoder_pred.3.weight' in official
    assert 'segment_token_x' in official and 'type_token_ins' in official
    back = from_official({'model': official}, cfg=cfg)
    assert back.keys() == ours.keys() == model.state_dict().keys()
    assert all(torch.equal(back[k], ours[k]) for k in ours)


def test_converter_covers_every_tensor_with_its_shape(pair):
    hf, model, cfg = pair
    ours = from_hf(hf.state_dict(), cfg=cfg)
    target = model.state_dict()
    assert len(ours) == len(target) == len(hf.state_dict())
    assert {k: tuple(v.shape) for k, v in ours.items()} == \
        {k: tuple(v.shape) for k, v in target.items()}


def test_unknown_keys_are_passed_through_not_dropped(pair):
    hf, _, cfg = pair
    state = dict(hf.state_dict(), **{'model.encoder.extra.weight': torch.zeros(1)})
    out = from_hf(state, cfg=cfg)
    assert 'model.encoder.extra.weight' in out  # the coverage check reports it as unexpected


def test_pos_embed_without_cls_position(pair):
    hf, _, cfg = pair
    cfg = Config(cfg.to_dict())
    cfg.model.backbone.pretrain_use_cls_token = False
    out = from_hf(hf.state_dict(), cfg=cfg)
    full = hf.state_dict()['model.embeddings.position_embeddings']
    assert torch.equal(out['backbone.pos_embed'], full[:, 1:])


def test_through_the_checkpoint_framework(pair, tmp_path):
    """``convert_checkpoint`` (tools/convert_checkpoint.py) on a transformers folder and on an
    official-style ``.pth``: the same tensors as ``from_hf``; a source that does not fit the
    config fails with its missing and unexpected keys."""
    from unibench.convert import convert_checkpoint
    hf, model, cfg = pair
    hf.save_pretrained(tmp_path / 'hf')
    ours = from_hf(hf.state_dict(), cfg=cfg)
    via_hf = convert_checkpoint(str(tmp_path / 'hf'), config=cfg, source='hf')
    torch.save({'model': to_official(ours)}, tmp_path / 'seggpt.pth')
    via_official = convert_checkpoint(str(tmp_path / 'seggpt.pth'), config=cfg,
                                      source='official')
    for got in (via_hf, via_official):
        assert got.keys() == model.state_dict().keys()
        assert all(torch.equal(got[k], ours[k]) for k in ours)
    broken = {k: v for k, v in hf.state_dict().items() if 'rel_pos_h' not in k}
    broken['model.encoder.layers.0.attention.extra'] = torch.zeros(1)
    torch.save(broken, tmp_path / 'broken.bin')
    with pytest.raises(ValueError) as err:
        convert_checkpoint(str(tmp_path / 'broken.bin'), config=cfg, source='hf')
    message = str(err.value)
    assert 'backbone.blocks.0.attn.rel_pos_h' in message
    assert 'model.encoder.layers.0.attention.extra' in message


def test_full_size_mapping_fits_the_paper_config():
    """BAAI/seggpt-vit-large's architecture (SegGptConfig's defaults) against
    configs/seggpt/seggpt_vit-l_64xb2-9k_coco.py, on the meta device: 354 tensors, every name and
    shape."""
    from pathlib import Path
    paper = Config.fromfile(str(Path(__file__).resolve().parents[2] /
                                'configs/seggpt/seggpt_vit-l_64xb2-9k_coco.py'))
    with torch.device('meta'):
        hf = SegGptForImageSegmentation(SegGptConfig())
        model = MODELS.build(paper.model)
    ours = from_hf(hf.state_dict(), cfg=paper)
    target = model.state_dict()
    assert len(ours) == len(target) == 354
    assert {k: tuple(v.shape) for k, v in ours.items()} == \
        {k: tuple(v.shape) for k, v in target.items()}
