"""Dice per region, AUC (Mann-Whitney), accuracy and expected calibration error."""
from typing import Dict, List, Sequence

import numpy as np

GLIOMA_REGIONS = {'WT': (1, 2, 3), 'TC': (1, 3), 'ET': (3,)}
METS_REGIONS = {'GTV': (1,)}


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice of two boolean masks; 1.0 when both are empty (BraTS convention)."""
    s = pred.sum() + gt.sum()
    return 1.0 if s == 0 else float(2 * np.logical_and(pred, gt).sum() / s)


def region_dice(pred_lab: np.ndarray, gt_lab: np.ndarray, regions: Dict[str, Sequence[int]]) -> Dict[str, float]:
    return {k: dice(np.isin(pred_lab, r), np.isin(gt_lab, r)) for k, r in regions.items()}


def auc_binary(score: np.ndarray, y: np.ndarray) -> float:
    """ROC AUC via the rank-sum statistic (ties count 1/2); nan when one class is absent."""
    pos, neg = score[y == 1], score[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float('nan')
    gt = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(gt / (len(pos) * len(neg)))


def auc_macro_ovr(prob: np.ndarray, y: np.ndarray) -> float:
    vals = [auc_binary(prob[:, k], (y == k).astype(int)) for k in range(prob.shape[1])]
    vals = [v for v in vals if not np.isnan(v)]
    return float(np.mean(vals)) if vals else float('nan')


def ece(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top-label confidence (equal-width bins)."""
    if len(y) == 0:
        return float('nan')
    conf = prob.max(1)
    correct = (prob.argmax(1) == y).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    e = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            e += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(e)


def softmax(z: np.ndarray, t: float = 1.0) -> np.ndarray:
    z = z / t
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: np.ndarray, y: np.ndarray, prior_sd: float = 0.0) -> float:
    """Temperature minimising the validation NLL (golden-section search on log T in [-3, 3]).
    prior_sd > 0 adds a normal prior on log T around 0 (MAP): a few dozen validation cases that one head separates
    perfectly (or gets confidently wrong) otherwise drive T to the end of the range (0.05 or 20)."""
    if len(y) < 2:
        return 1.0

    def nll(log_t):
        p = softmax(logits, float(np.exp(log_t)))
        data = -np.mean(np.log(p[np.arange(len(y)), y] + 1e-12))
        return data + (log_t ** 2 / (2 * prior_sd ** 2 * len(y)) if prior_sd > 0 else 0.0)

    a, b = -3.0, 3.0
    gr = (np.sqrt(5) - 1) / 2
    c, d = b - gr * (b - a), a + gr * (b - a)
    for _ in range(60):
        if nll(c) < nll(d):
            b = d
        else:
            a = c
        c, d = b - gr * (b - a), a + gr * (b - a)
    return float(np.exp((a + b) / 2))


def reliability(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> List[Dict]:
    """Reliability-diagram bins of the top-label confidence: [{lo, hi, n, confidence, accuracy}]."""
    conf = prob.max(1)
    correct = (prob.argmax(1) == y).astype(float)
    out = []
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        out.append({'lo': float(lo), 'hi': float(hi), 'n': int(sel.sum()),
                    'confidence': float(conf[sel].mean()) if sel.any() else None,
                    'accuracy': float(correct[sel].mean()) if sel.any() else None})
    return out


def indeterminate(prob: np.ndarray, min_confidence: float = 0.6, max_norm_entropy: float = 0.9) -> np.ndarray:
    """The node's rule (manifest heads[].indeterminate defaults): top probability below min_confidence or normalised
    entropy above max_norm_entropy."""
    ent = -(prob * np.log(np.clip(prob, 1e-12, 1))).sum(1) / np.log(prob.shape[1])
    return (prob.max(1) < min_confidence) | (ent > max_norm_entropy)


def lesion_detection(pred: np.ndarray, gt: np.ndarray, voxel_mm: float = 2.0, min_diameter_mm: float = 3.0) -> Dict:
    """Lesion-wise detection (BraTS-METS style): ground-truth lesions are the 26-connected components of gt > 0 with an
    equivalent-sphere diameter of at least min_diameter_mm; one is detected when any predicted voxel overlaps it.
    Predicted components that touch no ground-truth lesion are false positives."""
    from scipy import ndimage as ndi
    st = np.ones((3, 3, 3), bool)
    g_lab, g_n = ndi.label(gt > 0, structure=st)
    p_lab, p_n = ndi.label(pred > 0, structure=st)
    vox = voxel_mm ** 3
    detected = total = 0
    for i in range(1, g_n + 1):
        comp = g_lab == i
        d = (6 * comp.sum() * vox / np.pi) ** (1 / 3)
        if d < min_diameter_mm:
            continue
        total += 1
        detected += int((pred[comp] > 0).any())
    fp = sum(1 for j in range(1, p_n + 1) if not (gt[p_lab == j] > 0).any())
    return {'lesions': total, 'detected': detected, 'false_positive_components': fp}
