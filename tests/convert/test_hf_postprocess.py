"""Post-processed outputs of the converted Mask2Former and OneFormer against transformers'.

The tiny random models, the input and the helpers are test_hf_equality's (their logits agree to
<= 1e-4 there). Here each side's post-processing decodes them with matched thresholds: the
semantic map, the panoptic segments and the instance predictions. HF departs from the official
code in its panoptic post-processing and in its instance post-processing (Mask2Former's in its
top-k, OneFormer's altogether). The comparisons run in settings where HF and the official
algorithm agree (built below), and the departure tests pin HF's behaviour down
(docs/fidelity.md, "Where HF departs").
"""
import copy
import json
from types import SimpleNamespace

import pytest
import torch
from test_hf_equality import (  # tests/convert is on sys.path
    QUERIES,
    STUFF,
    THINGS,
    build_pair,
    converted_model,
    hf_processor,
    hf_stages,
    sample,
    transformers,
    unibench_stages,
    upsampled,
)

from unibench.convert.common import class_permutation
from unibench.structures import INSTANCE_OFFSET

VOID = THINGS + STUFF  # unibench's panoptic "no segment" label, HF's "no object" column
OBJECT_THR = 0.8  # the official Mask2Former panoptic object-mask threshold (ADE20K)
OVERLAP = 0.05  # matched overlap threshold of the panoptic comparison (see agreeing_copy)
SHIFT = 1.5  # mask-logit offset that puts every pixel inside a kept query's mask
CLASS_SCALE = 1e4  # classifier scale that makes every kept query's score exactly 1.0


def hf_to_unibench(cfg) -> torch.Tensor:
    """HF label -> unibench label: the inverse of the converter's class permutation."""
    order = torch.tensor(class_permutation(cfg)[:-1])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(len(order))
    return inverse


@pytest.fixture(scope='module', params=['Mask2Former', 'OneFormer'])
def pair(request):
    """test_hf_equality's models and input (built again: fixtures are per module)."""
    return build_pair(request.param)


@pytest.fixture(scope='module')
def agreeing(pair):
    """``pair`` with both models in the agreeing setting of ``agreeing_copy``."""
    family, hf, _, cfg, pixels = pair
    hf = agreeing_copy(family, hf, pixels)
    return family, hf, converted_model(family, hf, cfg), cfg, pixels


def near_ties(ours: torch.Tensor, theirs: torch.Tensor) -> torch.Tensor:
    """Pixels where the best two of unibench's ``(N, H, W)`` scores are closer than twice the
    largest difference between the two sides' scores: there either side may pick either (fp32
    summation order)."""
    top = ours.topk(2, dim=0).values
    return top[0] - top[1] <= 2 * float((ours - theirs).abs().max())


def test_semantic_maps_match_transformers(pair):
    """Both decode the final class and mask logits upsampled to the input size (softmax without
    "no object" times sigmoid masks, argmax), as the official code. HF's own OneFormer
    post-processing resizes the class-score map instead, so it is handed the upsampled logits.
    A pixel whose two best class scores are one fp32 ulp apart takes either class depending on
    the summation order (Mask2Former with one thread: 1 of 147456 pixels, gap 6.6e-8; none with
    two). Such near ties may differ, on at most 1e-4 of the pixels; nothing else may. (At random
    weights the maps hold 1-2 classes: the class sums favour the labels that several queries
    share, whatever the scale of the classifier.)"""
    family, hf, model, cfg, pixels = pair
    with torch.no_grad():
        sem = model.predict(pixels, [sample('semantic')])[0].pred_sem_seg
    ours = sem.sem_seg[0]
    logits = upsampled(hf_stages(family, hf, pixels, 'semantic')['out'])
    theirs = hf_to_unibench(cfg)[hf_processor(family).post_process_semantic_segmentation(logits)[0]]
    order = class_permutation(cfg)[:-1]
    scores = torch.einsum('qc,qhw->chw', logits.class_queries_logits[0].softmax(-1)[:, order],
                          logits.masks_queries_logits[0].sigmoid())  # HF's, unibench's order
    ties = near_ties(sem.seg_logits, scores)
    flips = ours != theirs
    print(family, f'{ours.unique().tolist()}: {int(flips.sum())} of {flips.numel()} pixels differ,',
          f'{int(ties.sum())} near ties')
    assert flips.float().mean() <= 1e-4 and not (flips & ~ties).any()


def agreeing_copy(family: str, hf, pixels: torch.Tensor):
    """A copy of ``hf`` whose outputs HF's panoptic post-processing decodes as the official code.

    HF departs from it (docs/fidelity.md): it thresholds the score-weighted mask probabilities,
    and it paints the whole arg-max region of a kept query where the official code keeps only
    the pixels of probability >= 0.5. Hence: (1) the classifier is scaled by 1e4. This keeps
    each query's label and makes its score exactly 1.0 in fp32, so weighting changes nothing (the
    class logits do not feed back into the decoder). (2) The mask features are centred: the
    input's spatial mean is subtracted from the projection bias (at random weights a common
    component makes one query win 70% of the image). Their channel 0 becomes the constant 1, and
    the mask embedding's row 0 becomes weight 0, bias ``SHIFT``. So every query's mask logit rises
    by 1.5, and each pixel then lies inside the mask of the query that wins it. The masks feed
    back into the decoder (masked attention), so the test asserts both properties on the outputs.
    The price: each kept mask covers most of the image. The overlap ratios are therefore small
    (0.016 .. 0.24 Mask2Former, 0.029 .. 0.48 OneFormer), and the matched overlap threshold is
    0.05. It still drops 2 and 4 of the 8 queries.
    """
    hf = copy.deepcopy(hf)
    decoder = hf.model.transformer_module.decoder
    if family == 'Mask2Former':
        classifier = hf.class_predictor
        embed = decoder.get_submodule('mask_predictor.mask_embedder.2.0')
    else:
        classifier, embed = decoder.class_embed, decoder.get_submodule('mask_embed.layers.2.0')
    projection = hf.model.pixel_level_module.decoder.mask_projection
    mean = hf_stages(family, hf, pixels, 'panoptic')['pixel_decoder'][0].mean((0, 2, 3))
    with torch.no_grad():
        classifier.weight.mul_(CLASS_SCALE)
        classifier.bias.mul_(CLASS_SCALE)
        projection.bias.sub_(mean)
        projection.weight[0] = 0
        projection.bias[0] = 1
        embed.weight[0] = 0
        embed.bias[0] = SHIFT
    return hf


def stuff_ids(cfg) -> set:
    """HF labels of the stuff classes."""
    return {int(i) for i in (hf_to_unibench(cfg) >= THINGS).nonzero()}


def test_panoptic_segments_match_transformers(agreeing):
    """Panoptic segments in the agreeing setting (``agreeing_copy``): the same (category, pixel
    mask) pairs from unibench (mmdet's MaskFormerFusionHead, the official panoptic_inference,
    filter_low_score on) and HF's post_process_panoptic_segmentation at the same thresholds
    (object 0.8, mask 0.5, overlap 0.05). HF labels are mapped through the class permutation, and
    ``label_ids_to_fuse`` is the stuff (the official code merges the stuff of a class). Every
    pixel is compared: things, fused stuff, and the void of the queries that the overlap test
    drops. Pixels where the two best probabilities are closer than twice the largest difference
    between the sides' probabilities (2.4e-7 Mask2Former, ~4e-7 OneFormer) may differ, on at most
    1e-4 of the pixels. Measured: Mask2Former 0, OneFormer 4 (one thread) or 7 (two) of 147456,
    among ~250 such near ties."""
    family, hf, model, cfg, pixels = agreeing
    model.panoptic_fusion_head.test_cfg.update(object_mask_thr=OBJECT_THR, iou_thr=OVERLAP,
                                               filter_low_score=True)
    with torch.no_grad():
        seg = model.predict(pixels, [sample('panoptic')])[0].pred_panoptic_seg.sem_seg[0]
    logits = upsampled(hf_stages(family, hf, pixels, 'panoptic')['out'])
    raw = hf_processor(family).post_process_panoptic_segmentation(
        logits, threshold=OBJECT_THR, mask_threshold=0.5, overlap_mask_area_threshold=OVERLAP,
        label_ids_to_fuse=stuff_ids(cfg))[0]
    scores, labels = logits.class_queries_logits[0].softmax(-1).max(-1)
    kept = (labels != VOID) & (scores > OBJECT_THR)
    probs = logits.masks_queries_logits[0][kept].sigmoid()
    # The setting: every kept score is exactly 1.0 and every pixel is in some kept mask.
    assert (scores[kept] == 1).all() and float(probs.max(0).values.min()) >= 0.5
    # HF reuses segment ids after a fusion into an earlier segment (the departure test below);
    # here every HF id has one label, so the ids are the segments.
    hf_labels = {}
    for s in raw['segments_info']:
        assert hf_labels.setdefault(s['id'], s['label_id']) == s['label_id'], raw['segments_info']
    to_unibench = hf_to_unibench(cfg)
    theirs = sorted(((int(to_unibench[label]), raw['segmentation'] == i)
                     for i, label in hf_labels.items()), key=lambda s: s[0])
    ours = sorted(((int(v) % INSTANCE_OFFSET, seg == v) for v in seg.unique()
                   if v % INSTANCE_OFFSET != VOID), key=lambda s: s[0])
    categories = [c for c, _ in ours]
    print(family, [(c, int(m.sum())) for c, m in ours], f'{len(ours)} segments of',
          f'{len(raw["segments_info"])} HF entries, {int(kept.sum())} kept queries')
    assert [c for c, _ in theirs] == categories and len(ours) >= 4, (categories, theirs)
    assert len(raw['segments_info']) < int(kept.sum())  # the overlap test dropped some queries
    if family == 'Mask2Former':  # things, and stuff of one class fused from two queries
        assert min(categories) < THINGS <= max(categories)
        assert len(hf_labels) < len(raw['segments_info'])
    else:  # the random OneFormer labels most queries alike: several instances of one thing
        assert len(set(categories)) < len(categories) and max(categories) < THINGS
    differ = torch.zeros_like(seg, dtype=torch.bool)
    for category, mask in ours:  # the HF segment of the same category that overlaps it most
        same = [m for c, m in theirs if c == category]
        differ |= mask ^ max(same, key=lambda m: int((m & mask).sum()))
    stages = unibench_stages(family, model, pixels, 'panoptic')
    ours_scores, ours_labels = stages['cls'][-1][0].softmax(-1).max(-1)
    assert torch.equal((ours_labels != VOID) & (ours_scores > OBJECT_THR), kept)
    ours_probs = torch.nn.functional.interpolate(
        stages['masks'][-1], size=seg.shape, mode='bilinear', align_corners=False)[0][kept]
    ties = near_ties(ours_probs.sigmoid(), probs)
    print(family, f'{int(differ.sum())} of {differ.numel()} pixels differ, {int(ties.sum())} near',
          f'ties (max |prob diff| {float((ours_probs.sigmoid() - probs).abs().max()):.1e})')
    assert differ.float().mean() <= 1e-4 and not (differ & ~ties).any()


def test_hf_panoptic_departures_on_constructed_queries(pair):
    """Four queries with sharp masks in vertical bands (logit +-8, classes certain): stuff S,
    thing T1, stuff S again, thing T2; the top rows of T1's band are in no mask (logit -1 for
    T1, -8 for the rest). The official code (unibench) gives S (fused), T1 without those rows,
    and T2; the rows stay void. HF (1) paints the rows with T1, the arg-max of probabilities all
    below 0.5, and (2) gives T2 T1's segment id: after fusing the second S into segment 1,
    ``compute_segments`` sets ``current_segment_id`` to 1, so the next new segment gets 2 again
    (the official code keeps counting)."""
    family, _, model, cfg, _ = pair
    order = class_permutation(cfg)  # unibench row -> HF row, "no object" last
    stuff, thing1, thing2 = THINGS, 0, 1  # unibench categories
    size, band, rows = 384, 96, 48
    masks = torch.full((4, size, size), -8.0)
    for q in range(4):
        masks[q, :, q * band:(q + 1) * band] = 8.0
    masks[1, :rows, band:2 * band] = -1.0
    hf_cls = torch.zeros(4, VOID + 1)
    for q, category in enumerate((stuff, thing1, stuff, thing2)):
        hf_cls[q, order[category]] = 50.0
    outputs = SimpleNamespace(class_queries_logits=hf_cls[None], masks_queries_logits=masks[None])
    raw = hf_processor(family).post_process_panoptic_segmentation(
        outputs, threshold=OBJECT_THR, mask_threshold=0.5, overlap_mask_area_threshold=0.8,
        label_ids_to_fuse=stuff_ids(cfg))[0]
    model.panoptic_fusion_head.test_cfg.update(object_mask_thr=OBJECT_THR, iou_thr=0.8,
                                               filter_low_score=True)
    ours = model.panoptic_fusion_head.panoptic_postprocess(hf_cls[:, order], masks).sem_seg[0]
    bands = [slice(q * band, (q + 1) * band) for q in range(4)]
    # unibench: three segments, the uncovered rows void.
    assert (ours[:, bands[0]] == stuff).all() and (ours[:, bands[2]] == stuff).all()
    assert (ours[:rows, bands[1]] == VOID).all()
    t1, t2 = int(ours[rows, band]), int(ours[0, 3 * band])
    assert t1 % INSTANCE_OFFSET == thing1 and t2 % INSTANCE_OFFSET == thing2 and t1 != t2
    # HF: the uncovered rows painted, and T2 in T1's segment.
    seg, info = raw['segmentation'], raw['segments_info']
    assert (seg[:rows, bands[1]] == seg[rows, band]).all() and seg[0, band] > 0
    assert [s['id'] for s in info] == [1, 2, 1, 2] and seg[0, band] == seg[0, 3 * band]


def test_hf_panoptic_departure(pair):
    """HF's panoptic post-processing thresholds the *score-weighted* mask probabilities
    (``compute_segments`` multiplies ``mask_probs`` by the scores in place before
    ``check_segment_validity``); the official code and unibench threshold the raw mask
    probabilities. With the low scores of a random model HF keeps no segment at all where
    unibench, at the same thresholds (object 0, overlap 0.8, mask 0.5), keeps several. Hence the
    certain classifier of ``agreeing_copy`` (docs/fidelity.md)."""
    family, hf, model, cfg, pixels = pair
    model.panoptic_fusion_head.test_cfg.update(object_mask_thr=0.0, iou_thr=0.8,
                                               filter_low_score=True)
    with torch.no_grad():
        ours = model.predict(pixels, [sample('panoptic')])[0].pred_panoptic_seg.sem_seg
    assert ((ours % INSTANCE_OFFSET) != VOID).any()  # some segment, not all void
    logits = upsampled(hf_stages(family, hf, pixels, 'panoptic')['out'])
    theirs = hf_processor(family).post_process_panoptic_segmentation(
        logits, threshold=0.0, mask_threshold=0.5, overlap_mask_area_threshold=0.8)[0]
    assert theirs['segments_info'] == []


def unibench_instances(model, pixels):
    assert model.panoptic_fusion_head.test_cfg.max_per_image == QUERIES  # HF's top-k
    with torch.no_grad():
        return model.predict(pixels, [sample('instance')])[0].pred_instances


def test_instances_match_transformers(pair):
    """Instances: unibench (mmdet's ``instance_postprocess``, the official instance_inference:
    top-k over queries x classes, mask = logit > 0, score = class score x mean mask probability
    inside the mask; things only, as the official code of a panoptic model) against HF
    Mask2Former's ``post_process_instance_segmentation`` (threshold 0, ``return_binary_maps``).
    HF takes the top ``num_queries`` where the official code takes TEST.DETECTIONS_PER_IMAGE;
    the tiny configs set max_per_image = num_queries (8), where both agree. HF keeps stuff and
    drops empty masks, so its instances are restricted to things and unibench's to non-empty
    masks. OneFormer's official instance_inference is Mask2Former's (its ADE20K thing re-indexing
    is unibench's things-first order), and HF's OneFormer processor departs (next test): both
    families are compared with the Mask2Former processor. Labels equal, scores within 1e-6 (HF
    rounds them to 6 decimals), masks equal."""
    family, hf, model, cfg, pixels = pair
    ours = unibench_instances(model, pixels)
    ours = sorted(((int(label), float(score), mask) for label, score, mask in
                   zip(ours.labels, ours.scores, ours.masks) if mask.any()), key=lambda t: t[:2])
    logits = upsampled(hf_stages(family, hf, pixels, 'instance')['out'])
    raw = transformers.Mask2FormerImageProcessor().post_process_instance_segmentation(
        logits, threshold=0.0, return_binary_maps=True)[0]
    to_unibench = hf_to_unibench(cfg)
    theirs = sorted(((int(to_unibench[s['label_id']]), s['score'], mask.bool())
                     for s, mask in zip(raw['segments_info'], raw['segmentation'])),
                    key=lambda t: t[:2])
    theirs = [t for t in theirs if t[0] < THINGS]
    print(family, [(label, f'{score:.6f}', int(mask.sum())) for label, score, mask in ours])
    assert len(ours) >= 3 and [t[0] for t in theirs] == [o[0] for o in ours]
    score_diff = max(abs(o[1] - t[1]) for o, t in zip(ours, theirs))
    assert score_diff <= 1e-6, score_diff
    differ = [int((o[2] != t[2]).sum()) for o, t in zip(ours, theirs)]
    assert not any(differ), differ


def test_hf_oneformer_instance_departure(pair, tmp_path):
    """HF's OneFormer ``post_process_instance_segmentation`` is not the official
    instance_inference: it runs the panoptic ``compute_segments`` on the top-k queries' mask
    *logits* (score-weighted, thresholded, arg-maxed into one non-overlapping map) and reports
    the class score alone, without the mask score. It also reads ``class_info_file`` whatever
    ``is_demo`` (without one it raises TypeError once a query is kept), and at the default mask
    threshold (0.5 on logits times scores of ~0.015) it keeps nothing. At mask threshold 0 its
    validity check binarises as the official code (logit >= 0), and what should agree does: each
    HF segment is one of unibench's top-k candidates, with the same label and class score
    (<= 1e-6). What departs: unibench's scores carry the mask score, and its masks overlap."""
    family, hf, model, cfg, pixels = pair
    if family != 'OneFormer':
        pytest.skip("Mask2Former's instance post-processing is compared above")
    to_unibench = hf_to_unibench(cfg)
    info = {str(i): dict(name=f'class{i}', isthing=bool(to_unibench[i] < THINGS))
            for i in range(VOID)}
    (tmp_path / 'ade20k_panoptic.json').write_text(json.dumps(info))
    processor = transformers.OneFormerImageProcessor(
        num_labels=VOID, repo_path=str(tmp_path), class_info_file='ade20k_panoptic.json')
    logits = upsampled(hf_stages(family, hf, pixels, 'instance')['out'])
    # task_type 'panoptic': HF's switch for the official things-only filter of a panoptic model.
    raw = processor.post_process_instance_segmentation(
        logits, task_type='panoptic', is_demo=False, mask_threshold=0.0,
        overlap_mask_area_threshold=0.0)[0]
    theirs = [(int(to_unibench[s['label_id']]), s['score']) for s in raw['segments_info']]
    cls = unibench_stages(family, model, pixels, 'instance')['cls'][-1][0]
    scores, index = cls.softmax(-1)[:, :-1].flatten().topk(QUERIES)
    candidates = [(int(i) % VOID, float(s)) for i, s in zip(index, scores)]
    assert theirs and all(any(label == c and abs(score - s) <= 1e-6 for c, s in candidates)
                          for label, score in theirs), (theirs, candidates)
    ours = unibench_instances(model, pixels)
    # unibench's score = class score x mask score, the mean probability over the mask: (0.5, 1).
    assert all(any(label == c and 0.5 * s < score < s for c, s in candidates)
               for label, score in zip(ours.labels.tolist(), ours.scores.tolist()))
    assert (ours.masks.sum(0) > 1).any() and raw['segmentation'].dim() == 2
