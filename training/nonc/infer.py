"""Sliding-window inference as the node runs a package (manifest tiling: sliding-window, Gaussian blending; heads
aggregated by tumour-weighted mean over windows). Used for validation and the model-card metrics."""
import itertools
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch


def gaussian_window(patch: Sequence[int], sigma_scale: float = 0.125) -> np.ndarray:
    axes = []
    for n in patch:
        x = np.arange(n) - (n - 1) / 2
        axes.append(np.exp(-0.5 * (x / (n * sigma_scale)) ** 2))
    w = axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]
    w = w / w.max()
    return np.maximum(w, 1e-3).astype(np.float32)


def window_starts(dim: int, patch: int, overlap: float) -> List[int]:
    if dim <= patch:
        return [0]
    step = max(1, int(round(patch * (1 - overlap))))
    n = int(np.ceil((dim - patch) / step)) + 1
    return sorted(set(int(round(i * (dim - patch) / (n - 1))) for i in range(n)))


@torch.no_grad()
def whole_grid(model, image: np.ndarray, mask: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray], np.ndarray]:
    """One forward over the whole grid (manifest tiling 'whole'), zero-padded to a multiple of 8."""
    shape = image.shape[1:]
    pad = [(-s) % 8 for s in shape]
    if any(pad):
        image = np.pad(image, [(0, 0)] + [(0, p) for p in pad])
    outs = model(torch.from_numpy(np.ascontiguousarray(image[None], np.float32)),
                 torch.from_numpy(mask[None].astype(np.float32)))
    probs = torch.softmax(outs[0], dim=1)[0].numpy()[:, :shape[0], :shape[1], :shape[2]]
    return probs, [o[0].numpy() for o in outs[1:]], np.ones(1)


def run_inference(model, image, mask, patch, tiling: str):
    if tiling == 'whole':
        return whole_grid(model, image, mask)
    return sliding_window(model, image, mask, patch)


@torch.no_grad()
def sliding_window(model, image: np.ndarray, mask: np.ndarray, patch=(64, 64, 64), overlap=0.5,
                   batch: int = 2) -> Tuple[np.ndarray, List[np.ndarray], np.ndarray]:
    """image [C,D,H,W] -> (softmax probs [K,D,H,W], head logits aggregated [k] per head, per-window weights)."""
    C = image.shape[0]
    shape = image.shape[1:]
    pad = [max(0, p - s) for p, s in zip(patch, shape)]
    if any(pad):
        image = np.pad(image, [(0, 0)] + [(0, p) for p in pad])
    full = image.shape[1:]
    g = gaussian_window(patch)
    starts = list(itertools.product(*[window_starts(full[a], patch[a], overlap) for a in range(3)]))
    acc = None
    norm = np.zeros(full, np.float32)
    head_logits: List[List[np.ndarray]] = []
    weights = []
    m = torch.from_numpy(mask[None].astype(np.float32))
    for b in range(0, len(starts), batch):
        chunk = starts[b:b + batch]
        x = np.stack([image[:, s[0]:s[0] + patch[0], s[1]:s[1] + patch[1], s[2]:s[2] + patch[2]] for s in chunk])
        outs = model(torch.from_numpy(np.ascontiguousarray(x)), m.expand(len(chunk), C))
        prob = torch.softmax(outs[0], dim=1).numpy()
        if acc is None:
            acc = np.zeros((prob.shape[1],) + full, np.float32)
            head_logits = [[] for _ in outs[1:]]
        for i, s in enumerate(chunk):
            sl = (slice(s[0], s[0] + patch[0]), slice(s[1], s[1] + patch[1]), slice(s[2], s[2] + patch[2]))
            acc[(slice(None),) + sl] += prob[i] * g
            norm[sl] += g
            weights.append(float((1 - prob[i, 0]).sum()))
            for h, o in enumerate(outs[1:]):
                head_logits[h].append(o[i].numpy())
    probs = acc / norm[None]
    probs = probs[:, :shape[0], :shape[1], :shape[2]]
    w = np.asarray(weights, np.float64)
    w = w / w.sum() if w.sum() > 1e-6 else np.full(len(w), 1.0 / len(w))
    agg = [np.tensordot(w, np.stack(hl), axes=1) for hl in head_logits]
    return probs, agg, w
