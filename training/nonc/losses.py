"""Segmentation loss (soft Dice on the reported regions + CE) and the Kendall uncertainty-weighted multi-task loss."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


def region_probs(prob: torch.Tensor, regions: Sequence[Sequence[int]]) -> torch.Tensor:
    """Sum class probabilities into nested regions, e.g. WT=(1,2,3), TC=(1,3), ET=(3,)."""
    return torch.stack([prob[:, list(r)].sum(1) for r in regions], dim=1)


def seg_loss(logits: torch.Tensor, target: torch.Tensor, regions: Sequence[Sequence[int]],
             ce_weight: Optional[torch.Tensor] = None, region_weight: Optional[Sequence[float]] = None) -> torch.Tensor:
    """Soft Dice over the evaluated regions (batch Dice, smooth 1; weighted mean with `region_weight`, e.g. more
    weight on the small, hard TC and ET regions) + cross-entropy over the label classes."""
    prob = torch.softmax(logits, dim=1)
    pr = region_probs(prob, regions)
    tg = torch.stack([sum((target == c) for c in r).float() for r in regions], dim=1)
    dims = (0, 2, 3, 4)
    inter = (pr * tg).sum(dims)
    den = pr.sum(dims) + tg.sum(dims)
    dice = (2 * inter + 1.0) / (den + 1.0)
    if region_weight is None:
        dl = (1 - dice).mean()
    else:
        w = torch.tensor(region_weight, dtype=dice.dtype)
        dl = ((1 - dice) * w).sum() / w.sum()
    return dl + F.cross_entropy(logits, target, weight=ce_weight)


class UncertaintyWeighting(nn.Module):
    """Kendall, Gal & Cipolla (CVPR 2018), stable form (science.md 5.1): L = sum_i 0.5*exp(-s_i)*L_i + 0.5*s_i,
    with s_i = log sigma_i^2 learned per task (optimum sigma_i^2 = L_i)."""

    def __init__(self, tasks: Sequence[str]):
        super().__init__()
        self.tasks = list(tasks)
        self.log_var = nn.Parameter(torch.zeros(len(self.tasks)))

    def forward(self, losses: Dict[str, torch.Tensor]) -> torch.Tensor:
        total = 0.0
        for i, t in enumerate(self.tasks):
            if t in losses:
                s = self.log_var[i]
                total = total + 0.5 * torch.exp(-s) * losses[t] + 0.5 * s
        return total

    def sigmas(self) -> Dict[str, float]:
        return {t: float(torch.exp(0.5 * self.log_var[i]).item()) for i, t in enumerate(self.tasks)}


def class_ce(logits: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    """Class-weighted CE ignoring -1 targets; None when no target in the batch applies."""
    if (target >= 0).sum() == 0:
        return None
    return F.cross_entropy(logits, target, weight=weight, ignore_index=-1)


def class_weights(targets: List[int], n: int) -> torch.Tensor:
    """Inverse-frequency weights (normalised to mean 1) over the labelled cases; unseen classes get weight 1."""
    counts = torch.zeros(n)
    for t in targets:
        if t >= 0:
            counts[t] += 1
    w = torch.where(counts > 0, counts.sum() / (n * counts.clamp(min=1)), torch.ones(n))
    return w / w.mean()
