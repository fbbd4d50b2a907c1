"""Writes the small regression fixtures that test/training/model-packages.test.ts runs the committed packages on:
one 64^3 tumour-centred crop per case from held-out (unseen-vendor) synthetic studies, image quantised to int8
(z-score * 32, clipped) and labels, gzip-compressed, with the class labels in a JSON index.

    /usr/bin/python3 -m nonc.fixtures --out ../test/training/fixtures --glioma DIR --mets DIR
"""
import argparse
import gzip
import json
import os

import numpy as np

from .tasks import GLIOMA, METS
from .train import load_cases

SCALE = 32.0


def write_gz(path: str, data: bytes) -> None:
    with open(path, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', compresslevel=9, mtime=0) as f:
        f.write(data)


def crop_case(case, size=64):
    centre = case.tumour_voxels().mean(0).astype(int)
    start = [int(min(max(0, c - size // 2), s - size)) for c, s in zip(centre, case.shape)]
    return case.crop_image(start, (size,) * 3), case.crop_labels(start, (size,) * 3), start


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--glioma', required=True)
    ap.add_argument('--mets', required=True)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    index = []
    picks = [(GLIOMA, a.glioma, ['gbm', 'astro', 'oligo']), (METS, a.mets, ['mets', 'mets'])]
    for task, root, kinds in picks:
        cases = load_cases(task, root)
        used = set()
        for kind in kinds:
            case = next(c for c in cases if c.meta['classes']['tumor'] == kind and c.case_id not in used
                        and len(c.tumour_voxels()) > 0)
            used.add(case.case_id)
            img, lab, start = crop_case(case)
            q = np.clip(np.round(img * SCALE), -127, 127).astype(np.int8)
            name = f"{task.name}-{case.meta['id']}"
            write_gz(os.path.join(a.out, name + '.image.i8.gz'), q.tobytes())
            write_gz(os.path.join(a.out, name + '.labels.u8.gz'), lab.astype(np.uint8).tobytes())
            index.append({'name': name, 'model': task.name, 'case': case.case_id, 'vendor': case.meta.get('vendor'),
                          'seed': case.meta.get('seed'), 'cropStart_kji': start, 'shape': [len(task.roles), 64, 64, 64],
                          'scale': SCALE, 'targets': case.targets, 'classes': case.meta['classes']})
    with open(os.path.join(a.out, 'index.json'), 'w') as f:
        json.dump({'description': 'Held-out synthetic crops (unseen seeds, unseen vendor profile) for package '
                                  'regression tests; image = round(z-score * scale) as int8, labels as model classes.',
                   'cases': index}, f, indent=1)


if __name__ == '__main__':
    main()
