"""Inference prompts of the painter and in-context tuning (SegGPT §3.3).

The painter (:class:`~unibench.models.segmentors.Painter`) paints with the prompts it is handed and
reads no data itself; this module builds them from data. :func:`attach_prompts` gives a painter
the :class:`PromptBank` its ``test_cfg`` describes (the task loops and
:func:`~unibench.benchmark.build_inference_model` call it).

:class:`PromptBank` draws the few-shot prompts: ``num_prompts`` images of the named split
(``prompt_split``, the training split in every unibench config), picked with
``np.random.default_rng(prompt_seed)``, coloured with the inference colours (class palette for the
semantic pass, location palette for the instance pass), or the tensors of a tuned prompt file.
Which prompts were used is logged once and written into every prediction's metainfo.

:func:`tune_prompt_tensor` is in-context tuning: the model is frozen and only the prompt image
tensor (the paper's "learnable image tensor") is optimised with the training loss on query
images of the training split, the query half fully masked as at inference; the prompt target
stays the colouring of the initial prompt.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from torch import nn

from unibench.datasets.transforms.painter import image_targets
from unibench.models.segmentors.painter import Painter, Prompt, seg_types
from unibench.registry import DATASETS
from unibench.structures import IGNORE_INDEX
from unibench.structures.painter import location_colors, paint
from unibench.utils.io import atomic_write

KINDS = ('semantic', 'instance')
BANK_KEYS = ('prompt_dataset', 'num_prompts', 'prompt_seed', 'prompt_split', 'prompt_file')


def attach_prompts(model: nn.Module) -> nn.Module:
    """Gives a painter (also inside a DDP wrapper) the prompt bank of its ``test_cfg``, once;
    any other model is returned untouched. Prompts are drawn lazily, per kind, on first use."""
    painter = getattr(model, 'module', model)
    if isinstance(painter, Painter) and not painter.has_prompts:
        painter.attach_prompts(PromptBank(painter, **{k: painter.test_cfg[k] for k in BANK_KEYS}))
    return model


class PromptBank:
    """Few-shot prompts for inference, built once per model.

    Args:
        model: The :class:`Painter` (palettes, normalisation, device).
        prompt_dataset: Dataset config of the split the prompts come from; its pipeline loads
            image and panoptic annotation and resizes to the painter's image size.
        num_prompts: ``k`` prompts per query.
        prompt_seed: Seed of the prompt choice.
        prompt_split: Name of that split, recorded with the predictions.
        prompt_file: Tuned prompts (``tools/tune_prompt.py``); kinds it lacks fall back to the
            dataset prompts.
    """

    def __init__(self, model: nn.Module, *, prompt_dataset: Optional[dict], num_prompts: int,
                 prompt_seed: int, prompt_split: str, prompt_file: Optional[str]) -> None:
        if num_prompts < 1:
            raise ValueError(f'Painter test_cfg.num_prompts must be >= 1, got {num_prompts}')
        self.model = model
        self.dataset_cfg = prompt_dataset
        self.num_prompts = num_prompts
        self.seed = prompt_seed
        self.split = prompt_split
        self.file = prompt_file
        self._loaded = torch.load(prompt_file, map_location='cpu', weights_only=True) \
            if prompt_file else None
        if self._loaded is not None and not isinstance(self._loaded.get('prompts'), dict):
            raise ValueError(f'{prompt_file} is not a prompt file (no "prompts" dict); write one '
                             'with tools/tune_prompt.py')
        self._cache: Dict[str, Prompt] = {}

    def get(self, kind: str) -> Prompt:
        """The ``kind`` prompts on the model's device."""
        if kind not in self._cache:
            self._cache[kind] = self._make(kind)
            print_log(f'painter prompts: {json.dumps(self.record_of(kind))}', logger='current')
        return self._cache[kind]

    def record_of(self, kind: str) -> dict:
        p = self._cache[kind]
        return dict(kind=kind, source=p.source, prompt_ids=p.ids, num_prompts=len(p.ids),
                    seed=self.seed, split=self.split)

    def record(self) -> dict:
        """Metainfo written with every prediction: the few-shot protocol."""
        return dict(prompt_ids={k: p.ids for k, p in self._cache.items()},
                    prompt_source={k: p.source for k, p in self._cache.items()},
                    num_prompts=self.num_prompts, prompt_seed=self.seed,
                    prompt_split=self.split, prompt_file=self.file)

    def _make(self, kind: str) -> Prompt:
        device = self.model.palette.device
        entry = (self._loaded or {}).get('prompts', {}).get(kind)
        if entry is not None:
            return Prompt(entry['img'].to(device), entry['tgt'].to(device),
                          [int(i) for i in entry['ids']], f'file:{self.file}')
        if self.dataset_cfg is None:
            raise ValueError('Painter test_cfg.prompt_dataset is not set: the model needs a '
                             'split to draw its prompts from (or a prompt_file)')
        dataset = DATASETS.build(self.dataset_cfg)
        if len(dataset) < self.num_prompts:
            raise ValueError(f'prompt split has {len(dataset)} images, fewer than num_prompts='
                             f'{self.num_prompts}')
        indices = np.random.default_rng(self.seed).choice(len(dataset), self.num_prompts,
                                                          replace=False)
        pairs = load_pairs(self.model, dataset, indices.tolist(), kind)
        return Prompt(pairs['img'], pairs['tgt'], pairs['ids'], f'{self.split}:seed{self.seed}')


def load_pairs(model: nn.Module, dataset, indices: Sequence[int], kind: str) -> dict:
    """Images of ``dataset`` with their inference-coloured targets.

    Returns:
        ``img`` and ``tgt`` ``(n, 3, H, W)`` normalised (model device), ``valid``
        ``(n, 1, H, W)``, ``ids`` (image ids).
    """
    imgs, tgts, valids, ids = [], [], [], []
    palette = model.palette.cpu().numpy().astype(np.uint8)
    locations = model.location_palette.cpu().numpy().astype(np.uint8)
    for idx in indices:
        results = dataset[int(idx)]
        t = image_targets(results, model.num_things_classes)
        if kind == 'semantic':
            tgt = paint(t['sem'], dict(enumerate(palette)))
            valid = t['sem'] != IGNORE_INDEX
        else:
            tgt = paint(t['inst'], dict(enumerate(location_colors(t['masks'], locations))))
            valid = t['inst_valid']
        imgs.append(torch.from_numpy(np.ascontiguousarray(t['img'].transpose(2, 0, 1))))
        tgts.append(torch.from_numpy(np.ascontiguousarray(tgt.transpose(2, 0, 1))))
        valids.append(torch.from_numpy(valid.astype(np.float32))[None])
        ids.append(int(results.get('img_id', idx)))
    device = model.palette.device
    return dict(img=model.normalize_images(torch.stack(imgs).to(device)),
                tgt=model.normalize_targets(torch.stack(tgts).to(device)),
                valid=torch.stack(valids).to(device), ids=ids)


def tune_prompt_tensor(model: nn.Module, prompt: Prompt, queries: dict, kind: str, *,
                       iters: int, lr: float = 0.01, batch_size: int = 4,
                       seed: int = 0) -> Dict[str, object]:
    """In-context tuning of one prompt kind: only the prompt image tensor is learned.

    Args:
        model: A :class:`Painter`; frozen here (no parameter is updated, eval mode).
        prompt: Initial prompt pairs; ``prompt.tgt`` stays fixed.
        queries: ``load_pairs`` output of the tuning images (``img``, ``tgt``, ``valid``).
        kind: ``'semantic'`` or ``'instance'``.
        iters: Optimisation steps (Adam).
        lr: Adam step size in normalised pixel units.
        batch_size: Query images per step.
        seed: Seed of the query batches.

    Returns:
        ``prompt`` (the tuned :class:`Prompt`) and ``losses`` (one per step).
    """
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    image = nn.Parameter(prompt.img.detach().clone())
    optim = torch.optim.Adam([image], lr=lr)
    rng = np.random.default_rng(seed)
    k, n = len(prompt.img), len(queries['img'])
    p = model.backbone.patch_size
    h, w = queries['img'].shape[-2:]
    losses = []
    for _ in range(iters):
        idx = torch.as_tensor(rng.choice(n, min(batch_size, n), replace=False))
        b = len(idx)
        q_img = queries['img'][idx].repeat_interleave(k, dim=0)
        q_tgt = queries['tgt'][idx].repeat_interleave(k, dim=0)
        q_valid = queries['valid'][idx].repeat_interleave(k, dim=0)
        mask = torch.zeros(b * k, 2 * h // p, w // p, dtype=torch.bool, device=q_img.device)
        mask[:, h // p:] = True  # tuned for the inference setting: the whole query half
        pred, tgts = model.inpaint(image.repeat(b, 1, 1, 1), prompt.tgt.repeat(b, 1, 1, 1),
                                   q_img, q_tgt, mask, seg_types([kind] * (b * k), q_img.device),
                                   num_prompts=k)
        valid = torch.cat([torch.zeros_like(q_valid), q_valid], dim=2)
        loss = model.loss_painting(pred, tgts, model.pixel_weight(mask, valid))
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    tuned = Prompt(image.detach(), prompt.tgt.detach(), prompt.ids, f'tuned:{prompt.source}')
    return dict(prompt=tuned, losses=losses)


def save_prompts(path: str, prompts: Dict[str, Prompt], meta: dict) -> None:
    """Writes a prompt file atomically (temp file + rename) for ``test_cfg.prompt_file``."""
    data = dict(prompts={k: dict(img=p.img.cpu(), tgt=p.tgt.cpu(), ids=list(p.ids))
                         for k, p in prompts.items()}, meta=meta)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write(path, lambda f: torch.save(data, f))


def tune_prompt(cfg, checkpoint: str, out: str, *, iters: int = 100, lr: float = 0.01,
                kinds: Sequence[str] = KINDS, num_images: int = 64, batch_size: int = 4,
                seed: int = 0) -> dict:
    """In-context tuning from a config and checkpoint; writes the prompt file ``out``.

    The initial prompts are the model's inference prompts (``test_cfg``); the tuning images are
    ``num_images`` other images of the same split (``test_cfg.prompt_dataset``), drawn with
    ``seed``.

    Returns:
        ``{kind: {'first_loss', 'last_loss', 'prompt_ids'}}``.
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    from unibench.registry import MODELS

    init_default_scope(cfg.get('default_scope', 'unibench'))  # builds outside a Runner
    cfg.model.train_cfg = None
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu')
    bank = attach_prompts(model).prompt_bank()
    dataset = DATASETS.build(bank.dataset_cfg)
    tuned, summary = {}, {}
    for kind in kinds:
        prompt = bank.get(kind)
        taken = set(prompt.ids)
        pool = [i for i in range(len(dataset))
                if int(dataset.get_data_info(i).get('img_id', i)) not in taken]
        picks = np.random.default_rng(seed).choice(len(pool), min(num_images, len(pool)),
                                                   replace=False)
        queries = load_pairs(model, dataset, [pool[i] for i in picks], kind)
        result = tune_prompt_tensor(model, prompt, queries, kind, iters=iters, lr=lr,
                                    batch_size=batch_size, seed=seed)
        tuned[kind] = result['prompt']
        summary[kind] = dict(first_loss=result['losses'][0], last_loss=result['losses'][-1],
                             prompt_ids=prompt.ids)
    save_prompts(out, tuned, dict(checkpoint=osp.abspath(checkpoint), iters=iters, lr=lr,
                                  num_images=num_images, seed=seed, split=bank.split,
                                  summary=summary))
    return summary
