"""Pseudo semantic segmentation labels from an ensemble of SmoothGrad explanations (PSSL).

Li et al., "Distilling Ensemble of Explanations for Weakly-Supervised Pre-Training of Image
Segmentation Models", Machine Learning 2022 (PaddleSeg ``configs/pssl``, Apache-2.0). Each
classifier explains the image's class with SmoothGrad; the explanations are normalised and
averaged (the "consensus" of several models); the averaged map is quantised to deciles and the
top decile is labelled with the image's class, everything else background, as the released
``pssl2.1_consensus`` labels are used (``PSSLDataset``: 1 -> class id, else background).
"""
from pathlib import Path
from typing import Iterable, Sequence

import cv2
import numpy as np
import torch
from torch import Tensor, nn

from unibench.utils.io import atomic_write_bytes

NUM_DECILES = 10


def smoothgrad(model: nn.Module, images: Tensor, labels: Tensor, *, noise: float = 0.1,
               samples: int = 50, generator: torch.Generator = None) -> Tensor:
    """SmoothGrad saliency of the labelled class (Smilkov et al., 2017).

    As InterpretDL's ``SmoothGradInterpreter`` (the explainer behind PSSL): the gradient of the
    class's softmax probability, averaged over ``samples`` copies of the input with Gaussian
    noise of std ``noise * (max - min)`` of each image. The map is the absolute averaged
    gradient summed over the colour channels.

    Args:
        model: Classifier in eval mode, ``(B, 3, H, W) -> (B, K)`` logits.
        images: ``(B, 3, H, W)`` normalised images.
        labels: ``(B,)`` classes to explain.
        noise: Noise level relative to each image's value range (InterpretDL default 0.1).
        samples: Noisy copies per image (InterpretDL default 50).
        generator: Random generator of the noise (reproducible labels).

    Returns:
        ``(B, H, W)`` non-negative saliency.
    """
    flat = images.flatten(1)
    std = (noise * (flat.max(1).values - flat.min(1).values)).view(-1, 1, 1, 1)
    total = torch.zeros_like(images)
    rows = torch.arange(len(labels))
    for _ in range(samples):
        noisy = images + std * torch.randn(images.shape, generator=generator)
        noisy.requires_grad_(True)
        probs = model(noisy).softmax(1)[rows, labels]
        total += torch.autograd.grad(probs.sum(), noisy)[0]
    return (total / samples).abs().sum(1)


def ensemble(maps: Sequence[Tensor]) -> Tensor:
    """Mean of per-image min-max normalised ``(B, H, W)`` maps, one per classifier.

    Normalising first keeps a classifier with larger gradients from dominating the consensus.
    """
    normed = []
    for m in maps:
        flat = m.flatten(1)
        low = flat.min(1).values.view(-1, 1, 1)
        span = (flat.max(1).values.view(-1, 1, 1) - low).clamp(min=1e-12)
        normed.append((m - low) / span)
    return torch.stack(normed).mean(0)


def deciles(saliency: np.ndarray) -> np.ndarray:
    """Decile index 0-9 of every pixel of one ``(H, W)`` map.

    A pixel is in decile ``k`` when ``k`` of the 10 %, 20 %, ..., 90 % quantiles (numpy's
    linear interpolation) are strictly below its value. Equal values share a decile, and a map
    without variation (no explanation) is all decile 0, so it labels no pixel as the object.
    """
    qs = np.quantile(saliency, np.arange(1, NUM_DECILES) / NUM_DECILES)
    return np.searchsorted(qs, saliency, side='left').astype(np.uint8)


def pseudo_label(saliency: np.ndarray, label: int, background: int) -> np.ndarray:
    """``(H, W)`` uint8 label map: the top decile gets ``label``, the rest ``background``."""
    return np.where(deciles(saliency) == NUM_DECILES - 1, label, background).astype(np.uint8)


def write_label_pngs(out_dir: Path, names: Iterable[str], label_maps: Iterable[np.ndarray]) -> None:
    """Writes each map as ``out_dir/<name>.png`` (atomically: temp file + rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, label_map in zip(names, label_maps):
        ok, png = cv2.imencode('.png', label_map)
        if not ok:
            raise ValueError(f'could not encode the pseudo label {name} as PNG')
        atomic_write_bytes(out_dir / f'{name}.png', png.tobytes())
