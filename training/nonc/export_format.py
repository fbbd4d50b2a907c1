"""Reads the training-set export on disk into `Case`s (numpy memmaps, nothing loaded eagerly)."""
import json
import os
from typing import Dict, List

import numpy as np

from .data import Case
from .labels import encode_classes


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
        cases.append(Case(meta['id'], image, labels, avail, encode_classes(meta['classes'], classes), meta))
    return cases
