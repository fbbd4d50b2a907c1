"""Reads the training-set export on disk into `Case`s (numpy memmaps, nothing loaded eagerly)."""
import json
import os
from typing import Dict, List

import numpy as np

from .data import Case
from .labels import encode_classes


def node_background(image: np.ndarray) -> np.ndarray:
    """Outside-head voxels of a first-generation ch2-phantom export, which left the background at its z-scored value
    where the node's toModelGrid writes 0. Recomputes the node's head mask (src/imaging/head-mask.ts: 0.5 x Otsu of the
    reference series T1ce, largest component, hole filling) on the stored channel: z-scoring is affine, so Otsu
    carries over; 0.5 x the raw threshold lies between otsu_z and the background value z_background."""
    from scipy import ndimage as ndi
    from .ch2_phantom import otsu
    ref = np.asarray(image[1])
    z_bg = float(ref[0, 0, 0])
    t = 0.4 * otsu(ref.ravel()) + 0.6 * z_bg  # 0.4/0.6 fitted against the exact mask on 3 regenerated cases
    m = ref > t
    lab, n = ndi.label(m)
    if n > 1:
        m = lab == (1 + int(np.argmax(ndi.sum(m, lab, range(1, n + 1)))))
    m = ndi.binary_fill_holes(m)
    for k in range(m.shape[0]):
        m[k] = ndi.binary_fill_holes(m[k])
    return ~m


def load_training_set(root: str, classes: Dict[str, list], n_channels: int = 4) -> List[Case]:
    with open(os.path.join(root, 'index.json')) as f:
        index = json.load(f)
    cases = []
    for entry in index['cases']:
        d = os.path.join(root, entry.get('dir', entry['id']))
        with open(os.path.join(d, 'case.json')) as f:
            meta = json.load(f)
        shape = tuple(meta['shape'])
        image = np.memmap(os.path.join(d, 'image.f32'), dtype=np.float32, mode='r', shape=(n_channels,) + shape)
        labels = np.memmap(os.path.join(d, 'labels.u8'), dtype=np.uint8, mode='r', shape=shape)
        avail = np.asarray(meta['availability'], np.float32)
        # Ids are unique per export only (node exports number cases case-00000...): prefix the export folder.
        case_id = f"{os.path.basename(os.path.normpath(root))}/{meta['id']}"
        case = Case(case_id, image, labels, avail, encode_classes(meta['classes'], classes), meta)
        if meta.get('source', '').endswith('ch2_phantom.py') and float(image[1, 0, 0, 0]) != 0.0:
            case.outside = node_background(image)
        cases.append(case)
    return cases
