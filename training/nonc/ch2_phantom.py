"""Python-side synthetic studies from real anatomy (Debian mricron-data ch2 / ch2bet), written in the training-set
layout that `export_format.py` reads, directly on the model grid (2 mm, LPS-aligned, head-centroid centred).

This is the INTERIM data source used while `neuro-onc-node synth --training-set` (TypeScript, which goes through
DICOM and the node's own preprocessing) was not yet available; the model card says which source trained a package.
Tumour phenotypes follow the published correlations in shared/research/science.md section 3 (GBM: ring enhancement
+ necrosis + oedema; IDH-mutant astrocytoma: non-enhancing, T2-FLAIR mismatch; oligodendroglioma: cortical,
heterogeneous, calcification; metastases: small enhancing lesions with oedema).
"""
import argparse
import gzip
import json
import os
import random
from typing import Dict, Tuple

import numpy as np
from scipy import ndimage as ndi

TEMPLATES = '/usr/share/mricron/templates'
GRID = (96, 112, 96)      # i, j, k
SPACING = 2.0
ROLES = ['t1', 't1ce', 't2', 'flair']

# Relative signal (t1, t1ce, t2, flair).
SIGNAL = {
    'wm': (1.00, 1.00, 0.45, 0.55), 'gm': (0.72, 0.74, 0.70, 0.78), 'csf': (0.22, 0.22, 1.50, 0.10),
    'extra': (0.55, 0.60, 0.60, 0.50),  # scalp / fat / skull mixture, scaled by ch2 intensity below
    'ed': (0.62, 0.64, 1.15, 1.20), 'nec': (0.32, 0.34, 1.35, 0.75), 'net': (0.55, 0.57, 1.10, 1.05),
    'et': (0.68, 1.70, 0.90, 1.00), 'calc': (0.55, 0.55, 0.25, 0.30), 'cyst': (0.28, 0.28, 1.45, 0.35),
}
# Vendor-like contrast/noise profiles: per-channel gain on the tissue contrast, noise sigma, bias strength.
VENDORS = {
    'siemens': {'contrast': (1.00, 1.00, 1.00, 1.00), 'noise': 0.025, 'bias': 0.15, 'blur': 0.5},
    'ge': {'contrast': (0.90, 1.10, 1.05, 0.92), 'noise': 0.035, 'bias': 0.22, 'blur': 0.7},
    'philips': {'contrast': (1.12, 0.92, 0.90, 1.10), 'noise': 0.045, 'bias': 0.28, 'blur': 0.9},
}


def read_nifti(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Minimal NIfTI-1 reader (uint8/int16/float32, sform): returns (data [x,y,z], 4x4 voxel->RAS affine)."""
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    hdr = raw[:348]
    dim = np.frombuffer(hdr, '<i2', 8, 40)
    dtype = {2: np.uint8, 4: '<i2', 16: '<f4', 512: '<u2'}[int(np.frombuffer(hdr, '<i2', 1, 70)[0])]
    off = int(np.frombuffer(hdr, '<f4', 1, 108)[0])
    shape = tuple(int(d) for d in dim[1:1 + dim[0]])
    data = np.frombuffer(raw, dtype, int(np.prod(shape)), off).reshape(shape, order='F').astype(np.float32)
    srow = np.frombuffer(hdr, '<f4', 12, 280).reshape(3, 4)
    aff = np.eye(4)
    aff[:3] = srow
    return data, aff


class Anatomy:
    """Soft tissue maps (WM/GM/CSF inside the brain, extra-cerebral tissue) of the ch2 template, 1 mm."""

    def __init__(self):
        head, aff = read_nifti(os.path.join(TEMPLATES, 'ch2.nii.gz'))
        brain, _ = read_nifti(os.path.join(TEMPLATES, 'ch2bet.nii.gz'))
        self.aff = aff
        self.inv_aff = np.linalg.inv(aff)
        bmask = brain > 0
        v = brain[bmask]
        # Three intensity classes in the brain: CSF < GM < WM (class centres from percentiles).
        c_csf, c_gm, c_wm = np.percentile(v, 4), np.percentile(v, 40), np.percentile(v, 85)
        b = brain
        wm = np.clip((b - c_gm) / (c_wm - c_gm), 0, 1)
        csf = np.clip((c_gm - b) / (c_gm - c_csf), 0, 1)
        gm = np.clip(1 - wm - csf, 0, 1)
        headmask = ndi.binary_fill_holes(ndi.binary_closing(head > 12, iterations=3))
        extra = (headmask & ~bmask).astype(np.float32) * np.clip(head / 150.0, 0.05, 1.5)
        self.maps = {'wm': wm * bmask, 'gm': gm * bmask, 'csf': csf * bmask + 0.0, 'extra': extra}
        self.brain = bmask.astype(np.float32)
        self.head = headmask.astype(np.float32)
        idx = np.argwhere(headmask)
        self.head_centroid_ras = (aff[:3, :3] @ idx.mean(0)) + aff[:3, 3]


def rotation(rng: random.Random, max_deg: float) -> np.ndarray:
    a = [np.deg2rad(rng.uniform(-max_deg, max_deg)) for _ in range(3)]
    rx = np.array([[1, 0, 0], [0, np.cos(a[0]), -np.sin(a[0])], [0, np.sin(a[0]), np.cos(a[0])]])
    ry = np.array([[np.cos(a[1]), 0, np.sin(a[1])], [0, 1, 0], [-np.sin(a[1]), 0, np.cos(a[1])]])
    rz = np.array([[np.cos(a[2]), -np.sin(a[2]), 0], [np.sin(a[2]), np.cos(a[2]), 0], [0, 0, 1]])
    return rz @ ry @ rx


def grid_points(an: Anatomy, rng: random.Random) -> np.ndarray:
    """Template voxel coordinates [3, k, j, i] of each model-grid voxel for a random head pose and shape."""
    ii, jj, kk = [np.arange(n, dtype=np.float32) for n in GRID]
    k, j, i = np.meshgrid(kk, jj, ii, indexing='ij')
    centre = (np.array(GRID, np.float32) - 1) / 2
    lps = np.stack([(i - centre[0]) * SPACING, (j - centre[1]) * SPACING, (k - centre[2]) * SPACING])
    ras = lps * np.array([-1, -1, 1], np.float32)[:, None, None, None]
    # Pose: the subject's head is rotated/scaled/shifted; the grid stays centred on the (posed) head centroid.
    R = rotation(rng, 10.0)
    scale = np.array([rng.uniform(0.9, 1.08), rng.uniform(0.9, 1.08), rng.uniform(0.9, 1.08)])
    A = np.linalg.inv(R @ np.diag(scale))
    shift = np.array([rng.uniform(-3, 3) for _ in range(3)])
    src = (A @ (ras.reshape(3, -1) - shift[:, None])) + an.head_centroid_ras[:, None]
    vox = an.inv_aff[:3, :3] @ src + an.inv_aff[:3, 3:4]
    return vox.reshape((3,) + ras.shape[1:])


def smooth_noise(nrng, shape, sigma) -> np.ndarray:
    f = ndi.gaussian_filter(nrng.standard_normal(shape).astype(np.float32), sigma)
    return f / (f.std() + 1e-6)


def blob(nrng, shape, centre, radii, rough: float) -> np.ndarray:
    """Normalised distance (1 at the surface) of an irregular ellipsoid centred at `centre` (k, j, i voxels)."""
    k, j, i = np.ogrid[:shape[0], :shape[1], :shape[2]]
    d = np.sqrt(((k - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2 + ((i - centre[2]) / radii[2]) ** 2)
    return d * (1 + rough * smooth_noise(nrng, shape, 3.0))


def pick_centre(rng: random.Random, prob_map: np.ndarray) -> Tuple[int, int, int]:
    idx = np.argwhere(prob_map > 0.5)
    return tuple(int(x) for x in idx[rng.randrange(len(idx))])


def insert_glioma(kind: str, rng, nrng, tissue: Dict[str, np.ndarray], brain: np.ndarray) -> Tuple[np.ndarray, Dict]:
    shape = brain.shape
    lab = np.zeros(shape, np.uint8)
    comp = {k: np.zeros(shape, np.float32) for k in ('ed', 'nec', 'net', 'et', 'calc', 'cyst')}
    deep = ndi.binary_erosion(brain > 0.5, iterations=7)
    info: Dict = {'tumor': kind}
    if kind == 'oligo':
        # Cortical / subcortical, frontal-predominant.
        ring = (brain > 0.5) & ~ndi.binary_erosion(brain > 0.5, iterations=6) & ndi.binary_erosion(brain > 0.5, iterations=2)
        frontal = np.zeros(shape, bool)
        frontal[:, : shape[1] // 2, :] = True
        cand = ring & (frontal if rng.random() < 0.7 else np.ones(shape, bool))
        c = pick_centre(rng, cand.astype(np.float32))
    else:
        c = pick_centre(rng, (deep & (tissue['wm'] > 0.5)).astype(np.float32))
    if kind == 'gbm':
        r = rng.uniform(7, 14)  # voxels (2 mm): 14-28 mm core radius
        d = blob(nrng, shape, c, (r, r * rng.uniform(0.8, 1.2), r * rng.uniform(0.8, 1.2)), 0.12)
        core = d < 1
        ring_t = rng.uniform(0.25, 0.45)
        nec = d < 1 - ring_t
        ed = (d < rng.uniform(1.4, 2.3)) & (brain > 0.5)
        lab[ed] = 2
        lab[core] = 3
        lab[nec] = 1
        comp['ed'][ed & ~core] = 1
        comp['et'][core & ~nec] = 1
        comp['nec'][nec] = 1
        info.update(idh='wildtype', codeletion_1p19q='intact', grade='4', histology='glioblastoma')
    else:
        grade = rng.choice(['2', '3'])
        r = rng.uniform(7, 12) * (1.15 if grade == '3' else 1.0)
        d = blob(nrng, shape, c, (r, r * rng.uniform(0.75, 1.25), r * rng.uniform(0.75, 1.25)),
                 0.10 if kind == 'astro' else 0.2)
        core = (d < 1) & (brain > 0.5)
        ed = (d < rng.uniform(1.15, 1.35) + (0.25 if grade == '3' else 0)) & (brain > 0.5)
        lab[ed] = 2
        lab[core] = 1
        comp['ed'][ed & ~core] = 1
        comp['net'][core] = 1
        if kind == 'astro':
            info.update(idh='mutant', codeletion_1p19q='intact', grade=grade, histology='astrocytoma')
            # T2-FLAIR mismatch in ~60 %: core suppresses on FLAIR (cyst-like), rim stays bright.
            if rng.random() < 0.6:
                inner = d < 0.8
                comp['net'][inner & core] = 0
                comp['cyst'][inner & core] = 1
        else:
            info.update(idh='mutant', codeletion_1p19q='codeleted', grade=grade, histology='oligodendroglioma')
            het = smooth_noise(nrng, shape, 1.0)
            calc = core & (het > rng.uniform(1.2, 1.8))
            comp['net'][calc] = 0
            comp['calc'][calc] = 1
            comp['net'][core] *= 1 + 0.25 * np.clip(het[core], -2, 2)
        if grade == '3' and rng.random() < (0.3 if kind == 'oligo' else 0.15):
            # Occasional faint patchy enhancement in grade 3.
            foci = core & (smooth_noise(nrng, shape, 1.5) > 1.6)
            lab[foci] = 3
            comp['et'][foci] = 1
            comp['net'][foci] = 0
    return lab, comp, info


def insert_mets(rng, nrng, tissue, brain) -> Tuple[np.ndarray, Dict, Dict]:
    """EGFR-mutant lung-adenocarcinoma metastases (synthetic phenotype, an assumption of this generator): more
    numerous, smaller, less peritumoural oedema, mostly solid; wildtype: fewer, larger, ring-enhancing with more
    oedema. Classes overlap on purpose."""
    shape = brain.shape
    lab = np.zeros(shape, np.uint8)
    comp = {k: np.zeros(shape, np.float32) for k in ('ed', 'nec', 'net', 'et', 'calc', 'cyst')}
    mutant = rng.random() < 0.5
    n = rng.randint(2, 6) if mutant else rng.randint(1, 3)
    gmwm = ndi.binary_erosion(brain > 0.5, iterations=3) & ((tissue['gm'] + tissue['wm']) > 0.6)
    for _ in range(n):
        c = pick_centre(rng, gmwm.astype(np.float32))
        r = rng.uniform(1.5, 4.0) if mutant else rng.uniform(2.5, 7.0)
        d = blob(nrng, shape, c, (r, r, r), 0.08)
        core = d < 1
        ed_extent = rng.uniform(1.2, 2.0) if mutant else rng.uniform(1.8, 3.2)
        ed = (d < ed_extent) & (brain > 0.5) & (lab == 0)
        lab[ed] = 2
        comp['ed'][ed] = 1
        ring = rng.random() < (0.25 if mutant else 0.7) and r > 2.5
        nec = (d < rng.uniform(0.4, 0.65)) if ring else np.zeros(shape, bool)
        lab[core] = 3
        lab[nec] = 1
        comp['ed'][core] = 0
        comp['et'][core & ~nec] = 1
        comp['nec'][nec] = 1
    info = {'tumor': 'mets', 'egfr': 'mutant' if mutant else 'wildtype', 'lesions': n}
    return lab, comp, info


def otsu(values: np.ndarray, bins: int = 256) -> float:
    lo, hi = np.percentile(values, [0.5, 99.5])
    hist, edges = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    return float(centres[np.argmax(w0 * w1 * (m0 - m1) ** 2)])


def node_head_mask(ref: np.ndarray) -> np.ndarray:
    """The node's head mask (src/imaging/head-mask.ts): 0.5 x Otsu threshold of the reference series, largest
    6-connected component, 3-D then per-slice hole filling."""
    m = ref > 0.5 * otsu(ref.ravel())
    lab, n = ndi.label(m)
    if n > 1:
        sizes = ndi.sum(m, lab, range(1, n + 1))
        m = lab == (1 + int(np.argmax(sizes)))
    m = ndi.binary_fill_holes(m)
    for k in range(m.shape[0]):
        m[k] = ndi.binary_fill_holes(m[k])
    return m


def make_case(an: Anatomy, kind: str, seed: int, vendor: str):
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    pts = grid_points(an, rng)
    sample = lambda vol: ndi.map_coordinates(vol, pts, order=1, mode='constant', cval=0.0).astype(np.float32)
    tissue = {k: sample(v) for k, v in an.maps.items()}
    brain = sample(an.brain)
    head = sample(an.head) > 0.5
    shape = brain.shape
    if kind == 'mets':
        lab, comp, info = insert_mets(rng, nrng, tissue, brain)
    elif kind == 'none':
        lab = np.zeros(shape, np.uint8)
        comp = {}
        info = {'tumor': 'none'}
    else:
        lab, comp, info = insert_glioma(kind, rng, nrng, tissue, brain)
    prof = VENDORS[vendor]
    img = np.zeros((4,) + shape, np.float32)
    lesion = sum(comp.values()) if comp else np.zeros(shape, np.float32)
    lesion = np.clip(lesion, 0, 1)
    normal_w = 1 - lesion
    for ch in range(4):
        g = prof['contrast'][ch] * rng.uniform(0.95, 1.05)
        x = np.zeros(shape, np.float32)
        for t in ('wm', 'gm', 'csf', 'extra'):
            s = SIGNAL[t][ch]
            s = 0.75 + (s - 0.75) * g  # vendor contrast gain around a mid-grey
            w = tissue[t] * (normal_w if t != 'extra' else 1.0)
            x += w * s
        for t, m in comp.items():
            s = 0.75 + (SIGNAL[t][ch] - 0.75) * g
            x += m * s * rng.uniform(0.95, 1.05)
        img[ch] = x
    # Enhancement also in choroid plexus / vessels: a few bright voxels on T1ce in CSF.
    vessels = (smooth_noise(nrng, shape, 1.0) > 2.6) & (tissue['csf'] > 0.3)
    img[1][vessels] *= 2.2
    # Partial-volume / slice-thickness blur along a random axis, bias field, Rician noise.
    for ch in range(4):
        sig = [0.3, 0.3, 0.3]
        sig[rng.randrange(3)] = rng.uniform(0.3, 1.2) * prof['blur']
        img[ch] = ndi.gaussian_filter(img[ch], sig)
    bias = np.exp(prof['bias'] * smooth_noise(nrng, shape, 20.0))
    for ch in range(4):
        s = prof['noise'] * rng.uniform(0.7, 1.3)
        re = img[ch] * bias + nrng.normal(0, s, shape)
        im = nrng.normal(0, s, shape)
        img[ch] = np.sqrt(re ** 2 + im ** 2)
    # Normalisation as the node does it (toModelGrid): head mask from the reference series (T1ce), per channel clip to
    # the 0.5/99.5 percentiles inside the mask, z-score there, 0 outside.
    head = node_head_mask(img[1])
    for ch in range(4):
        v = img[ch][head]
        lo, hi = np.percentile(v, [0.5, 99.5])
        x = np.clip(img[ch], lo, hi)
        v = x[head]
        img[ch] = (x - v.mean()) / (v.std() + 1e-6)
    img[:, ~head] = 0.0  # as the node's toModelGrid: 0 (the normalised mean) outside the head mask
    return img.astype(np.float32), lab, info


def write_set(out: str, kinds: Dict[str, int], seed0: int, vendors, an: Anatomy = None):
    an = an or Anatomy()
    os.makedirs(out, exist_ok=True)
    entries = []
    order = [k for k, n in kinds.items() for _ in range(n)]
    for n, kind in enumerate(order):
        seed = seed0 + n
        vendor = vendors[n % len(vendors)]
        img, lab, info = make_case(an, kind, seed, vendor)
        cid = f'ch2-{kind}-{seed}'
        d = os.path.join(out, cid)
        os.makedirs(d, exist_ok=True)
        img.tofile(os.path.join(d, 'image.f32'))
        lab.tofile(os.path.join(d, 'labels.u8'))
        meta = {'id': cid, 'shape': list(lab.shape), 'channels': ROLES, 'availability': [1, 1, 1, 1],
                'classes': info, 'seed': seed, 'vendor': vendor, 'source': 'training/nonc/ch2_phantom.py',
                'grid': {'spacing': [SPACING] * 3, 'size': list(GRID), 'orientation': 'LPS', 'centre': 'head-centroid'}}
        with open(os.path.join(d, 'case.json'), 'w') as f:
            json.dump(meta, f)
        entries.append({'id': cid, 'dir': cid})
    with open(os.path.join(out, 'index.json'), 'w') as f:
        json.dump({'format': 'nonc-ch2-phantom', 'cases': entries}, f, indent=0)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--vendors', default='siemens,ge')
    ap.add_argument('--gbm', type=int, default=0)
    ap.add_argument('--astro', type=int, default=0)
    ap.add_argument('--oligo', type=int, default=0)
    ap.add_argument('--mets', type=int, default=0)
    ap.add_argument('--none', type=int, default=0)
    a = ap.parse_args(argv)
    kinds = {k: getattr(a, k) for k in ('gbm', 'astro', 'oligo', 'mets', 'none') if getattr(a, k)}
    write_set(a.out, kinds, a.seed, a.vendors.split(','))


if __name__ == '__main__':
    main()
