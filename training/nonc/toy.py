"""Toy phantoms (ellipsoid head, ventricles, tumours with NCR/ED/ET) for developing and debugging the training loop
while the real synthetic export is unavailable. Committed models are NOT trained on these."""
import json
import os
import random

import numpy as np

# Relative signal (t1, t1ce, t2, flair) per tissue.
TISSUE = {
    'wm': (1.0, 1.0, 0.45, 0.55), 'gm': (0.75, 0.78, 0.7, 0.75), 'csf': (0.2, 0.2, 1.4, 0.15),
    'ed': (0.6, 0.62, 1.1, 1.05), 'ncr': (0.35, 0.38, 1.2, 0.5), 'et': (0.7, 1.6, 0.8, 0.85),
    'calc': (0.5, 0.5, 0.2, 0.2),
}


def ellipsoid(shape, centre, radii):
    z, y, x = np.ogrid[:shape[0], :shape[1], :shape[2]]
    return ((z - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2 + ((x - centre[2]) / radii[2]) ** 2


def make_case(rng: random.Random, kind: str, shape=(80, 96, 80), drop=()):
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    c = [s // 2 + rng.randint(-3, 3) for s in shape]
    head = ellipsoid(shape, c, (32 + rng.uniform(-3, 3), 40 + rng.uniform(-3, 3), 32 + rng.uniform(-3, 3)))
    brain = head < 0.8
    wm = head < 0.45
    vent = ellipsoid(shape, c, (5, 10, 4)) < 1
    lab = np.zeros(shape, np.uint8)
    tissue = np.full(shape, 'gm', dtype=object)
    tissue[wm] = 'wm'
    tissue[vent] = 'csf'
    tissue[~brain] = 'csf'
    info = {'tumor': kind}
    if kind != 'none':
        tc = [c[0] + rng.randint(-14, 14), c[1] + rng.randint(-18, 18), c[2] + rng.choice([-1, 1]) * rng.randint(6, 16)]
        r = rng.uniform(5, 11)
        d = ellipsoid(shape, tc, (r, r * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.2))) + \
            0.15 * nrng.standard_normal(shape)
        d[~brain] = 99
        ed = d < rng.uniform(2.5, 4.0)
        core = d < 1.0
        lab[ed] = 2
        tissue[ed] = 'ed'
        if kind == 'gbm':
            lab[core] = 3
            tissue[core] = 'et'
            nec = d < rng.uniform(0.4, 0.6)
            lab[nec] = 1
            tissue[nec] = 'ncr'
            info.update(grade='4')
        elif kind == 'astro':
            lab[core] = 1
            tissue[core] = 'ncr'
            info.update(grade=rng.choice(['2', '3']))
        elif kind == 'oligo':
            lab[core] = 1
            tissue[core] = 'ncr'
            calc = core & (nrng.random(shape) < 0.15)
            tissue[calc] = 'calc'
            info.update(grade=rng.choice(['2', '3']))
    img = np.zeros((4,) + shape, np.float32)
    for name, vals in TISSUE.items():
        sel = tissue == name
        for ch in range(4):
            img[ch][sel] = vals[ch]
    if kind == 'astro':  # T2-FLAIR mismatch: FLAIR-dark core with a bright rim
        img[3][lab == 1] = 0.4
    img[:, ~(head < 1.0)] = 0
    bias = 1 + 0.1 * np.sin(np.linspace(0, 3, shape[2]))[None, None, None, :]
    img = img * bias + nrng.normal(0, 0.05, img.shape).astype(np.float32) * (head < 1.0)
    avail = np.ones(4, np.float32)
    for ch in drop:
        avail[ch] = 0
    hm = head < 1.0
    for ch in range(4):
        v = img[ch][hm]
        img[ch] = np.where(hm, (img[ch] - v.mean()) / (v.std() + 1e-6), 0) * avail[ch]
    return img.astype(np.float32), lab, avail, info


def write_toy_set(out: str, n: int, seed: int):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    kinds = ['gbm', 'astro', 'oligo', 'none']
    cases = []
    for i in range(n):
        kind = kinds[i % 4]
        img, lab, avail, info = make_case(rng, kind)
        cid = f'toy-{seed}-{i:04d}'
        d = os.path.join(out, cid)
        os.makedirs(d, exist_ok=True)
        img.tofile(os.path.join(d, 'image.f32'))
        lab.tofile(os.path.join(d, 'labels.u8'))
        meta = {'id': cid, 'shape': list(lab.shape), 'channels': ['t1', 't1ce', 't2', 'flair'],
                'availability': avail.tolist(), 'classes': info, 'seed': seed, 'vendor': 'toy'}
        with open(os.path.join(d, 'case.json'), 'w') as f:
            json.dump(meta, f)
        cases.append({'id': cid, 'dir': cid})
    with open(os.path.join(out, 'index.json'), 'w') as f:
        json.dump({'format': 'toy', 'cases': cases}, f)


if __name__ == '__main__':
    import sys
    write_toy_set(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
