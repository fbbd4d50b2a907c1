"""Training-set reader (numpy memmaps) and patch sampling with augmentation.

A case is: image float32 [C, D, H, W] (model-space channels in role order, z-scored, 0 where missing),
availability float32 [C], labels uint8 [D, H, W], and class targets per head (-1 = not applicable).
`export_format.py` adapts the on-disk layout written by `neuro-onc-node synth --training-set`.
"""
import math
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch


@dataclass
class Case:
    case_id: str
    image: np.ndarray          # [C, D, H, W] float32 (memmap)
    labels: np.ndarray         # [D, H, W] uint8 (memmap)
    availability: np.ndarray   # [C] float32
    targets: Dict[str, int]
    meta: Dict = field(default_factory=dict)
    channel_index: Optional[List[int]] = None   # model channels taken from the export's channels
    label_lut: Optional[np.ndarray] = None      # export label value -> model class
    outside: Optional[np.ndarray] = None        # [D,H,W] bool: zeroed on read (see export_format.node_background)
    _tumour_idx: Optional[np.ndarray] = None
    _bright_idx: Optional[np.ndarray] = None

    def crop_image(self, start, size) -> np.ndarray:
        img = crop(self.image, start, size).astype(np.float32)
        if self.outside is not None:
            img[:, crop(self.outside, start, size, fill=True)] = 0.0
        return img if self.channel_index is None else img[self.channel_index]

    def crop_labels(self, start, size) -> np.ndarray:
        lab = crop(self.labels, start, size).astype(np.uint8)
        return lab if self.label_lut is None else self.label_lut[lab]

    def full_image(self) -> np.ndarray:
        return self.crop_image((0, 0, 0), self.shape)

    def full_labels(self) -> np.ndarray:
        return self.crop_labels((0, 0, 0), self.shape)

    @property
    def avail(self) -> np.ndarray:
        a = np.asarray(self.availability, np.float32)
        return a if self.channel_index is None else a[self.channel_index]

    @property
    def shape(self) -> Tuple[int, int, int]:
        return tuple(self.labels.shape)

    def tumour_voxels(self) -> np.ndarray:
        if self._tumour_idx is None:
            lab = np.asarray(self.labels)
            if self.label_lut is not None:
                lab = self.label_lut[lab]
            self._tumour_idx = np.argwhere(lab > 0).astype(np.int32)
        return self._tumour_idx

    def bright_voxels(self, channel: int, threshold: float) -> np.ndarray:
        """Tumour-free voxels bright on one model channel (e.g. T1ce z > 1.5: orbital/scalp fat, temporal muscle,
        sinus, choroid plexus), every second voxel per axis: the look-alikes hard-negative patches centre on."""
        if self._bright_idx is None:
            src = channel if self.channel_index is None else self.channel_index[channel]
            if self.availability[src] < 0.5:
                self._bright_idx = np.zeros((0, 3), np.int32)
            else:
                img = np.asarray(self.image[src, ::2, ::2, ::2])
                lab = np.asarray(self.labels[::2, ::2, ::2])
                if self.label_lut is not None:
                    lab = self.label_lut[lab]
                self._bright_idx = (np.argwhere((img > threshold) & (lab == 0)) * 2).astype(np.int32)
        return self._bright_idx


def crop(arr: np.ndarray, start: Sequence[int], size: Sequence[int], fill=0) -> np.ndarray:
    """Crop the last three dims at `start` (may be negative / overhang), padding with `fill`."""
    lead = arr.shape[:-3]
    out = np.full(lead + tuple(size), fill, dtype=arr.dtype)
    src, dst = [], []
    for s, n, dim in zip(start, size, arr.shape[-3:]):
        a, b = max(s, 0), min(s + n, dim)
        if b <= a:
            return out
        src.append(slice(a, b))
        dst.append(slice(a - s, b - s))
    out[(Ellipsis,) + tuple(dst)] = arr[(Ellipsis,) + tuple(src)]
    return out


def patch_start(centre: Sequence[int], size: Sequence[int], shape: Sequence[int], jitter: int,
                rng: random.Random) -> List[int]:
    out = []
    for c, n, dim in zip(centre, size, shape):
        s = c - n // 2 + rng.randint(-jitter, jitter)
        s = min(max(s, min(0, dim - n)), max(dim - n, 0))  # keep inside when the volume is larger than the patch
        out.append(s)
    return out


def random_subset_mask(available: np.ndarray, rng: random.Random, p_full: float,
                       favoured: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """Modality dropout: a random non-empty subset of the available channels (availability AND dropout)."""
    avail = [i for i, a in enumerate(available) if a > 0.5]
    mask = np.zeros(len(available), np.float32)
    if not avail:
        return mask
    if rng.random() < p_full or len(avail) == 1:
        keep = avail
    elif favoured and rng.random() < 0.5:
        choice = [i for i in rng.choice(list(favoured)) if i in avail]
        keep = choice or avail
    else:
        while True:
            keep = [i for i in avail if rng.random() < 0.5]
            if keep and len(keep) < len(avail):
                break
    mask[keep] = 1.0
    return mask


def intensity_jitter(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """Per-channel scale/shift, gamma-like contrast change on the positive side, and Gaussian noise."""
    out = np.empty_like(img)
    for c in range(img.shape[0]):
        x = img[c]
        x = x * rng.uniform(0.85, 1.15) + rng.uniform(-0.15, 0.15)
        if rng.random() < 0.3:
            g = rng.uniform(0.8, 1.25)
            x = np.sign(x) * np.abs(x) ** g
        if rng.random() < 0.3:
            x = x + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(0.02, 0.1), x.shape)
        out[c] = x
    return out.astype(np.float32)


def soft_dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a cube of radius r (separable max filter), in numpy without scipy."""
    out = mask.copy()
    for ax in range(3):
        acc = out.copy()
        for s in range(1, r + 1):
            acc |= np.roll(out, s, axis=ax)
            acc |= np.roll(out, -s, axis=ax)
        out = acc
    return out


def tumour_cutmix(img: np.ndarray, lab: np.ndarray, d_img: np.ndarray, d_lab: np.ndarray,
                  brain: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Tumor-CutMix (GMMAS-style): paste the donor tumour (+ a 2-voxel rim of its surroundings) into the host patch,
    with its labels. Both patches sit at the same grid location (both grids are head-centroid centred), so the tumour
    lands on comparable anatomy; it is only pasted where the host is inside the head."""
    core = d_lab > 0
    region = soft_dilate(core, 2) & brain
    out_img = img.copy()
    out_lab = lab.copy()
    out_img[:, region] = d_img[:, region]
    out_lab[region] = d_lab[region]
    return out_img, out_lab


@dataclass
class SamplerConfig:
    patch: Tuple[int, int, int] = (64, 64, 64)
    p_tumour: float = 0.75        # patch centred (with jitter) on a tumour voxel, else random in the volume
    p_bright: float = 0.0         # else, patch centred on a bright tumour-free voxel of `bright_channel` (hard negative)
    bright_channel: int = 0
    bright_threshold: float = 1.5
    jitter: int = 12
    p_flip: float = 0.5           # per axis
    p_jitter: float = 0.8
    p_cutmix: float = 0.2
    p_full_modalities: float = 0.35
    favoured_subsets: Tuple[Tuple[int, ...], ...] = ()
    class_heads: Tuple[str, ...] = ()


class PatchSampler:
    """Draws augmented training patches: (image [C,p,p,p], mask [C], labels [p,p,p] int64, targets per head)."""

    def __init__(self, cases: List[Case], cfg: SamplerConfig, seed: int):
        self.cases = cases
        self.cfg = cfg
        self.rng = random.Random(seed)
        self.tumour_cases = [c for c in cases if len(c.tumour_voxels()) > 0]
        self.weights = [float(c.meta.get('sampling_weight', 1.0)) for c in cases]

    def _centre(self, case: Case, tumour: bool) -> List[int]:
        tv = case.tumour_voxels()
        if tumour and len(tv):
            return [int(v) for v in tv[self.rng.randrange(len(tv))]]
        return [self.rng.randrange(n) for n in case.shape]

    def sample(self):
        cfg, rng = self.cfg, self.rng
        case = rng.choices(self.cases, weights=self.weights)[0]
        r = rng.random()
        tumour_centred = r < cfg.p_tumour and len(case.tumour_voxels()) > 0
        centre = self._centre(case, tumour_centred)
        if not tumour_centred and cfg.p_tumour <= r < cfg.p_tumour + cfg.p_bright:
            bv = case.bright_voxels(cfg.bright_channel, cfg.bright_threshold)
            if len(bv):
                centre = [int(v) for v in bv[rng.randrange(len(bv))]]
        start = patch_start(centre, cfg.patch, case.shape, cfg.jitter, rng)
        img = case.crop_image(start, cfg.patch)
        lab = case.crop_labels(start, cfg.patch)
        targets = dict(case.targets)
        avail = case.avail.copy()
        has_tumour = bool((lab > 0).any())

        if self.tumour_cases and rng.random() < cfg.p_cutmix:
            donor = self.tumour_cases[rng.randrange(len(self.tumour_cases))]
            if donor is not case:
                d_start = patch_start(self._centre(donor, True), cfg.patch, donor.shape, cfg.jitter, rng)
                d_img = donor.crop_image(d_start, cfg.patch)
                d_lab = donor.crop_labels(d_start, cfg.patch)
                # Host: same grid location in this case.
                img = case.crop_image(d_start, cfg.patch)
                lab = case.crop_labels(d_start, cfg.patch)
                host_tumour = bool((lab > 0).any())
                brain = np.abs(img).sum(0) > 1e-6
                img, lab = tumour_cutmix(img, lab, d_img, d_lab, brain)
                avail = np.minimum(avail, donor.avail)
                # Class labels follow the pasted tumour unless the host patch already held a tumour of its own.
                targets = {h: (donor.targets[h] if not host_tumour else -1) for h in targets}
                has_tumour = bool((lab > 0).any())

        for ax in range(3):
            if rng.random() < cfg.p_flip:
                img = np.flip(img, axis=ax + 1)
                lab = np.flip(lab, axis=ax)
        if rng.random() < cfg.p_jitter:
            img = intensity_jitter(np.ascontiguousarray(img), rng)
        mask = random_subset_mask(avail, rng, cfg.p_full_modalities, cfg.favoured_subsets)
        full = np.ascontiguousarray(img) * avail[:, None, None, None]
        img = np.ascontiguousarray(img) * mask[:, None, None, None]
        if not has_tumour:
            # Tumour-attention heads have nothing to read in a tumour-free patch.
            targets = {h: -1 for h in targets}
        return (img.astype(np.float32), mask, np.ascontiguousarray(lab).astype(np.int64), targets,
                full.astype(np.float32), avail.astype(np.float32))

    def batch(self, n: int, with_full: bool = False):
        """(image, mask, labels, targets) and, with_full, the same patches with every available sequence (the
        distillation teacher's input) and their availability mask."""
        items = [self.sample() for _ in range(n)]
        img = torch.from_numpy(np.stack([i[0] for i in items]))
        mask = torch.from_numpy(np.stack([i[1] for i in items]))
        lab = torch.from_numpy(np.stack([i[2] for i in items]))
        tg = {h: torch.tensor([i[3][h] for i in items], dtype=torch.long) for h in self.cfg.class_heads}
        if not with_full:
            return img, mask, lab, tg
        return img, mask, lab, tg, torch.from_numpy(np.stack([i[4] for i in items])), torch.from_numpy(np.stack([i[5] for i in items]))


def split_cases(cases: List[Case], val_fraction: float, seed: int) -> Tuple[List[Case], List[Case]]:
    idx = list(range(len(cases)))
    random.Random(seed).shuffle(idx)
    n_val = max(1, int(math.ceil(len(cases) * val_fraction)))
    val = [cases[i] for i in sorted(idx[:n_val])]
    tr = [cases[i] for i in sorted(idx[n_val:])]
    return tr, val
