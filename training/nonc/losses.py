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


def distillation_loss(s_outs: List[torch.Tensor], t_outs: List[torch.Tensor], s_feats: Dict[str, torch.Tensor],
                      t_feats: Dict[str, torch.Tensor], head_valid: List[torch.Tensor], tau: float) -> Dict[str, torch.Tensor]:
    """GMMAS-style knowledge self-distillation: the student sees a modality subset, the teacher (an EMA of the
    student) the same patch with every available sequence.
    - 'kd_seg': voxel-wise KL(teacher || student) of the softened segmentation (Hinton et al. 2015, x tau^2);
    - 'kd_heads': the same on the classification heads, only for patches whose heads apply (tumour in the patch);
    - 'kd_feat': bottleneck and decoder features of the student matched to the teacher's, scaled by the teacher's
      feature variance so the term does not depend on the feature scale."""
    def kl(s, t, dim):
        return F.kl_div(F.log_softmax(s / tau, dim=dim), F.softmax(t / tau, dim=dim), reduction='none').sum(dim) * tau * tau
    out = {'kd_seg': kl(s_outs[0], t_outs[0], 1).mean()}
    hs = [kl(s, t, 1)[v] for s, t, v in zip(s_outs[1:], t_outs[1:], head_valid) if v.any()]
    if hs:
        out['kd_heads'] = torch.cat(hs).mean()
    out['kd_feat'] = sum(((s_feats[k] - t_feats[k]) ** 2).mean() / (t_feats[k].var() + 1e-6) for k in t_feats) / len(t_feats)
    return out
