"""The two reference models: what each reads from the export, its classes, regions and heads."""
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .labels import GLIOMA_CLASSES, METS_CLASSES, ROLES
from .metrics import GLIOMA_REGIONS, METS_REGIONS
from .model import SegClsNet


@dataclass
class Task:
    name: str
    roles: List[str]                      # model channel order
    n_seg: int
    classes: Dict[str, List[str]]         # head -> class names
    regions: Dict[str, Tuple[int, ...]]   # evaluated regions -> model classes
    label_lut: Optional[np.ndarray]       # export label -> model class
    tumour_kinds: Tuple[str, ...]         # which synthetic tumour kinds the task trains on
    favoured_subsets: Tuple[Tuple[int, ...], ...] = ()
    eval_subsets: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    seg_ce_weight: Optional[Tuple[float, ...]] = None  # per-class CE weight (small lesions: up-weight foreground)
    p_tumour: float = 0.75                             # probability of a tumour-centred training patch
    p_full: float = 0.35                               # probability of a patch with every available sequence

    def channel_index(self) -> List[int]:
        return [ROLES.index(r) for r in self.roles]

    def role_mask(self, roles: Sequence[str]) -> np.ndarray:
        """The modality-mask input for an input subset: 1 for each model channel whose role is in `roles`."""
        return np.array([1.0 if r in roles else 0.0 for r in self.roles], np.float32)

    def build(self, widths) -> SegClsNet:
        tumour_classes = tuple(range(1, self.n_seg))
        return SegClsNet(len(self.roles), self.n_seg, {h: len(c) for h, c in self.classes.items()}, widths,
                         tumour_classes=tumour_classes)


def _subsets(roles: Sequence[str], named: Dict[str, Sequence[str]]) -> Tuple[Tuple[int, ...], ...]:
    return tuple(tuple(roles.index(r) for r in s) for s in named.values())


GLIOMA_EVAL = {
    'full': ('t1', 't1ce', 't2', 'flair'),
    'no FLAIR': ('t1', 't1ce', 't2'),
    'no T1ce': ('t1', 't2', 'flair'),
    'no T2': ('t1', 't1ce', 'flair'),
    'no T1': ('t1ce', 't2', 'flair'),
    'T1ce only': ('t1ce',),
    'T1ce + FLAIR': ('t1ce', 'flair'),
    'T2 + FLAIR': ('t2', 'flair'),
}

GLIOMA = Task(
    name='glioma-mtl',
    roles=['t1', 't1ce', 't2', 'flair'],
    n_seg=4,
    classes=GLIOMA_CLASSES,
    regions=GLIOMA_REGIONS,
    label_lut=None,
    tumour_kinds=('gbm', 'astro', 'oligo', 'none'),
    favoured_subsets=_subsets(['t1', 't1ce', 't2', 'flair'], {k: v for k, v in GLIOMA_EVAL.items() if k != 'full'}),
    eval_subsets=GLIOMA_EVAL,
)

# Metastasis GTV = enhancing lesion + necrotic core (export labels 3 and 1); oedema (2) is not GTV.
_METS_LUT = np.zeros(256, np.uint8)
_METS_LUT[1] = 1
_METS_LUT[3] = 1

METS = Task(
    name='brainmets-egfr',
    roles=['t1ce', 'flair'],
    n_seg=2,
    classes=METS_CLASSES,
    regions=METS_REGIONS,
    label_lut=_METS_LUT,
    tumour_kinds=('mets', 'none'),
    favoured_subsets=((0,),),
    eval_subsets={'full': ('t1ce', 'flair'), 'T1ce only': ('t1ce',)},
    p_tumour=0.5,  # many tumour-free patches: small lesions, bright look-alikes (scalp fat, temporal muscle, vessels)
)

# BraTS convention (models/glioma-brats-convention): all four sequences always (like nnU-Net BraTS models), input in
# template space, skull-stripped; same network and classes as glioma-mtl so it can start from glioma-mtl's weights.
GLIOMA_BRATS = replace(GLIOMA, name='glioma-brats-convention', favoured_subsets=(),
                       eval_subsets={'full': GLIOMA_EVAL['full']}, p_full=1.0)

TASKS = {'glioma': GLIOMA, 'mets': METS, 'glioma-brats': GLIOMA_BRATS}
