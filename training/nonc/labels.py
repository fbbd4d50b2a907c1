"""Class-label encodings shared by training, evaluation and export (-1 = label does not apply: ignored)."""
from typing import Dict, Optional

ROLES = ['t1', 't1ce', 't2', 'flair']

GLIOMA_CLASSES = {
    'idh': ['wildtype', 'mutant'],
    'codeletion_1p19q': ['intact', 'codeleted'],
    'grade': ['2', '3', '4'],
    'histology': ['astrocytoma', 'oligodendroglioma', 'glioblastoma'],
}
METS_CLASSES = {'egfr': ['wildtype', 'mutant']}

# Synthetic tumour kinds and the class labels their phenotype implies (WHO CNS5 2021).
_DEFAULT_BY_TUMOUR = {
    'gbm': {'idh': 'wildtype', 'codeletion_1p19q': 'intact', 'grade': '4', 'histology': 'glioblastoma'},
    'astro': {'idh': 'mutant', 'codeletion_1p19q': 'intact', 'histology': 'astrocytoma'},
    'oligo': {'idh': 'mutant', 'codeletion_1p19q': 'codeleted', 'histology': 'oligodendroglioma'},
}

_ALIASES = {
    'idh': {'wildtype': 'wildtype', 'wt': 'wildtype', 'wild-type': 'wildtype', 'mutant': 'mutant', 'mut': 'mutant',
            'mutated': 'mutant'},
    'codeletion_1p19q': {'intact': 'intact', 'non-codeleted': 'intact', 'noncodeleted': 'intact',
                         'codeleted': 'codeleted', 'codel': 'codeleted'},
    'egfr': {'wildtype': 'wildtype', 'wt': 'wildtype', 'wild-type': 'wildtype', 'mutant': 'mutant',
             'mut': 'mutant', 'mutated': 'mutant'},
    'histology': {'astrocytoma': 'astrocytoma', 'oligodendroglioma': 'oligodendroglioma',
                  'glioblastoma': 'glioblastoma'},
}


def _norm(head: str, v) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, bool):
        v = {'idh': 'mutant', 'codeletion_1p19q': 'codeleted', 'egfr': 'mutant'}.get(head) if v else \
            {'idh': 'wildtype', 'codeletion_1p19q': 'intact', 'egfr': 'wildtype'}.get(head)
    s = str(v).strip().lower()
    if head == 'grade':
        s = s.replace('cns who grade', '').replace('who', '').replace('grade', '').strip()
        return s if s in ('2', '3', '4') else None
    return _ALIASES.get(head, {}).get(s, s)


def encode_classes(info: Dict, classes: Dict[str, list]) -> Dict[str, int]:
    """Map a case's class-label JSON to integer targets per head; -1 where a label is absent / not applicable."""
    tumour = str(info.get('tumor', info.get('tumour', info.get('kind', 'none')))).lower()
    defaults = _DEFAULT_BY_TUMOUR.get(tumour, {})
    out = {}
    for head, names in classes.items():
        raw = info.get(head, defaults.get(head))
        if head == 'codeletion_1p19q' and raw is None:
            raw = info.get('codeletion', info.get('1p19q'))
        v = _norm(head, raw)
        out[head] = names.index(v) if v in names else -1
    return out
