"""The node's default post-processing of a segmentation (src/ai/engine.ts postprocessLabels), for evaluating what
the node actually delivers: hierarchical decoding of the glioma classes (WT where P(NCR+ED+ET) > 0.5, TC inside it
where P(NCR+ET) > 0.5, ET inside that where P(ET) > 0.5), then tumour components smaller than `min_ml` removed and
enhancing components smaller than `min_ml` relabelled as core (26-connectivity; node default 0.1 mL)."""
import numpy as np
from scipy import ndimage as ndi

_FULL = np.ones((3, 3, 3), bool)


def _small(mask: np.ndarray, min_vox: int) -> np.ndarray:
    lab, n = ndi.label(mask, structure=_FULL)
    if n == 0:
        return np.zeros_like(mask)
    sizes = np.bincount(lab.ravel())
    small = sizes < min_vox
    small[0] = False
    return small[lab]


def node_labels(probs: np.ndarray, hierarchical: bool, min_ml: float = 0.1, voxel_ml: float = 0.008) -> np.ndarray:
    """probs [K, D, H, W] softmax -> label map as the node's postprocessLabels writes it."""
    if hierarchical:
        ncr, ed, et = probs[1], probs[2], probs[3]
        tc = ncr + et
        out = np.zeros(probs.shape[1:], np.uint8)
        out[tc + ed > 0.5] = 2
        out[(tc + ed > 0.5) & (tc > 0.5)] = 1
        out[(tc + ed > 0.5) & (tc > 0.5) & (et > 0.5)] = 3
    else:
        out = probs.argmax(0).astype(np.uint8)
    min_vox = int(round(min_ml / voxel_ml))
    if min_vox <= 1:
        return out
    out[_small(out > 0, min_vox)] = 0
    if hierarchical:
        out[_small(out == 3, min_vox)] = 1
    return out
