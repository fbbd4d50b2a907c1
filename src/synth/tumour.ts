/**
 * Rasterises tumour lesions into per-voxel compartment fractions on the anatomy grid, and derives the label map
 * (0 background, 1 necrotic / non-enhancing core, 2 oedema / infiltrated T2-FLAIR-bright tissue, 3 enhancing tumour).
 *
 * Shapes are noise-perturbed level sets: an ellipsoid's approximate signed distance plus smooth fractal noise
 * (irregular, lobulated borders). A ring-enhancing lesion is the same level set eroded by a spatially varying rim
 * thickness; oedema is a larger, more irregular level set that follows white matter (vasogenic oedema spreads along
 * fibres and spares the cortex). Fractions are soft over `edgeMm`, so images get partial volume at every border.
 */
import type { Vec3 } from '../imaging/volume';
import type { Anatomy, TissueMaps } from './anatomy';
import { fractalNoise, type FractalNoise } from './noise';
import { invert, apply, type Mat4 } from './geometry';

export interface Blob {
  /** Centre in template LPS mm. */
  centre: Vec3;
  /** Semi-axes (mm) along `axes`. */
  radii: Vec3;
  /** Orthonormal directions of the semi-axes. */
  axes: [Vec3, Vec3, Vec3];
  /** Border noise amplitude as a fraction of the mean radius (0 = smooth ellipsoid). */
  irregularity: number;
  /** Feature size of the border noise (mm). */
  noiseScaleMm: number;
  seed: number;
}

export interface Lesion {
  /** The tumour proper: outer edge of the enhancing rim, or of the non-enhancing core. */
  body: Blob;
  /** ring = enhancing rim around necrosis; solid = enhancing throughout; non-enhancing = label-1 core. */
  enhancement: 'ring' | 'solid' | 'non-enhancing';
  /** Ring lesions: mean enhancing-rim thickness (mm) and its relative variation. */
  rimMm?: number;
  rimVariation?: number;
  /** Small enhancing foci inside a non-enhancing core (oligodendroglioma "patchy" enhancement). */
  enhancingFoci?: Blob[];
  /** Calcification-like foci inside the core (label 1). */
  calcifications?: Blob[];
  /** Thickness (mm) of a label-2 shell directly around the body (infiltrative margin; the mismatch "rim"). */
  marginMm: number;
  /** Vasogenic oedema region (label 2), following white matter. */
  oedema?: Blob;
  /** Width (mm) of the soft transition at the body's border (indistinct margins are wider). */
  edgeMm: number;
}

export interface TumourFields {
  /** Fractions scaled to 0..255 (Uint8 keeps a 1 mm grid affordable). */
  ncr: Uint8Array;
  et: Uint8Array;
  net: Uint8Array;
  calc: Uint8Array;
  ed: Uint8Array;
  /** Tumour texture in [-127, 127]: heterogeneity the contrast tables scale per compartment. */
  texture: Int8Array;
  labels: Uint8Array;
}

/**
 * Approximate signed distance (mm, negative inside) to a noise-perturbed ellipsoid. When the caller only cares
 * about distances within `band` mm of the surface, points further than band + noise amplitude from the smooth
 * ellipsoid skip the (costly) noise: every threshold the caller applies gives the same answer there.
 */
export function blobDistance(b: Blob, noise: FractalNoise, p: Vec3, band = Infinity): number {
  const d: Vec3 = [p[0] - b.centre[0], p[1] - b.centre[1], p[2] - b.centre[2]];
  let q = 0;
  for (let a = 0; a < 3; a++) {
    const ax = b.axes[a]!;
    const u = (d[0] * ax[0] + d[1] * ax[1] + d[2] * ax[2]) / b.radii[a]!;
    q += u * u;
  }
  const meanR = (b.radii[0] + b.radii[1] + b.radii[2]) / 3;
  const base = (Math.sqrt(q) - 1) * meanR;
  if (!b.irregularity) return base;
  const amp = b.irregularity * meanR;
  if (Math.abs(base) > amp + band) return base;
  return base + amp * noise.at(p[0], p[1], p[2]);
}

function blobNoise(b: Blob): FractalNoise {
  return fractalNoise(b.seed, b.noiseScaleMm, 3);
}

function frac(sd: number, edge: number): number {
  const v = 0.5 - sd / edge;
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

/** Voxel bounding box of a sphere (template mm) on the anatomy grid, clipped to the grid. */
function voxelBox(anat: Anatomy, centre: Vec3, radius: number): [number, number, number, number, number, number] {
  const inv: Mat4 = invert(anat.affine);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      for (const sz of [-1, 1]) {
        const v = apply(inv, [centre[0] + sx * radius, centre[1] + sy * radius, centre[2] + sz * radius]);
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a]!, v[a]!);
          hi[a] = Math.max(hi[a]!, v[a]!);
        }
      }
    }
  }
  const d = anat.dims;
  return [
    Math.max(0, Math.floor(lo[0]!)), Math.min(d[0] - 1, Math.ceil(hi[0]!)),
    Math.max(0, Math.floor(lo[1]!)), Math.min(d[1] - 1, Math.ceil(hi[1]!)),
    Math.max(0, Math.floor(lo[2]!)), Math.min(d[2] - 1, Math.ceil(hi[2]!)),
  ];
}

function maxRadius(b: Blob): number {
  return Math.max(...b.radii) * (1 + b.irregularity) + 2;
}

export function emptyFields(n: number): TumourFields {
  return {
    ncr: new Uint8Array(n), et: new Uint8Array(n), net: new Uint8Array(n), calc: new Uint8Array(n),
    ed: new Uint8Array(n), texture: new Int8Array(n), labels: new Uint8Array(n),
  };
}

/**
 * Draws all lesions into fresh fields. `maps` are the (mass-effect-warped) tissue maps the tumour sits in: tumour is
 * confined to brain tissue, oedema to white matter (and a little grey matter).
 */
export function rasteriseLesions(
  anat: Anatomy,
  maps: TissueMaps,
  lesions: readonly Lesion[],
  textureSeed: number,
  textureScaleMm: number,
): TumourFields {
  const n = anat.dims[0] * anat.dims[1] * anat.dims[2];
  const f = emptyFields(n);
  const texture = fractalNoise(textureSeed, textureScaleMm, 3, 0.6);
  const a = anat.affine;
  const [nx, ny] = anat.dims;
  for (const les of lesions) {
    const bodyNoise = blobNoise(les.body);
    const rimNoise = fractalNoise(les.body.seed + 7, Math.max(4, les.body.noiseScaleMm * 0.6), 2);
    const oedNoise = les.oedema ? blobNoise(les.oedema) : undefined;
    const foci = (les.enhancingFoci ?? []).map((b) => ({ b, noise: blobNoise(b) }));
    const calcs = (les.calcifications ?? []).map((b) => ({ b, noise: blobNoise(b) }));
    const reach = Math.max(
      maxRadius(les.body) + les.marginMm + les.edgeMm,
      les.oedema ? distance(les.oedema.centre, les.body.centre) + maxRadius(les.oedema) + 3 : 0,
    );
    const [i0, i1, j0, j1, k0, k1] = voxelBox(anat, les.body.centre, reach);
    // Distances beyond this from the body surface saturate every fraction below (rim, margin and edge included).
    const bodyBand = (les.rimMm ?? 3) * (1 + (les.rimVariation ?? 0.4)) + les.marginMm + les.edgeMm + 2;
    for (let k = k0; k <= k1; k++) {
      for (let j = j0; j <= j1; j++) {
        for (let i = i0; i <= i1; i++) {
          const idx = i + nx * (j + ny * k);
          if (!anat.brain[idx]) continue;
          const p: Vec3 = [
            a[0]! * i + a[1]! * j + a[2]! * k + a[3]!,
            a[4]! * i + a[5]! * j + a[6]! * k + a[7]!,
            a[8]! * i + a[9]! * j + a[10]! * k + a[11]!,
          ];
          const gm = maps.gm[idx]!;
          const wm = maps.wm[idx]!;
          const csf = maps.csf[idx]!;
          // Tumour displaces/infiltrates brain tissue; in pure CSF (ventricles, large sulci) it only partly fills.
          const room = Math.min(1, gm + wm + 0.5 * csf);
          const sd = blobDistance(les.body, bodyNoise, p, bodyBand);
          const body = frac(sd, les.edgeMm) * room;
          let ncr = 0;
          let et = 0;
          let net = 0;
          let calc = 0;
          if (body > 0) {
            if (les.enhancement === 'ring') {
              const rim = (les.rimMm ?? 3) * (1 + (les.rimVariation ?? 0.4) * rimNoise.at(p[0], p[1], p[2]));
              // At least 2 mm everywhere: a rim thinner than the 2 mm model grid would vanish in partial volume.
              ncr = frac(sd + Math.max(2, rim), les.edgeMm) * room;
              et = body - ncr;
            } else if (les.enhancement === 'solid') {
              et = body;
            } else {
              net = body;
              for (const { b, noise } of foci) {
                const e = Math.min(net, frac(blobDistance(b, noise, p, 1), 1.5) * body);
                et += e;
                net -= e;
              }
              for (const { b, noise } of calcs) {
                const c = Math.min(net, frac(blobDistance(b, noise, p, 1), 1) * body);
                calc += c;
                net -= c;
              }
            }
          }
          // Label-2 margin directly around the body, plus white-matter-following oedema further out.
          let ed = les.marginMm > 0 ? frac(sd - les.marginMm, les.edgeMm) * room : 0;
          if (les.oedema && oedNoise) {
            const o = frac(blobDistance(les.oedema, oedNoise, p, 2), 3);
            const tissue = gm + wm + csf;
            const follow = tissue > 0 ? (wm + 0.25 * gm) / tissue : 0;
            ed = Math.max(ed, o * Math.min(1, follow * 1.15));
          }
          ed = Math.max(0, ed - body);
          f.ncr[idx] = Math.max(f.ncr[idx]!, Math.round(255 * ncr));
          f.et[idx] = Math.max(f.et[idx]!, Math.round(255 * et));
          f.net[idx] = Math.max(f.net[idx]!, Math.round(255 * net));
          f.calc[idx] = Math.max(f.calc[idx]!, Math.round(255 * calc));
          f.ed[idx] = Math.max(f.ed[idx]!, Math.round(255 * ed));
          if (body > 0 || ed > 0) f.texture[idx] = Math.round(127 * texture.at(p[0], p[1], p[2]));
        }
      }
    }
  }
  labelFromFractions(f);
  return f;
}

function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * Hard labels from the fractions: a voxel is tumour when tumour compartments fill at least half of it; then
 * enhancing (3) if enhancing tissue outweighs the rest of the tumour, else core (1); otherwise oedema (2) when the
 * oedema fraction is at least one half.
 */
export function labelFromFractions(f: TumourFields): void {
  for (let i = 0; i < f.labels.length; i++) {
    const et = f.et[i]!;
    const core = f.ncr[i]! + f.net[i]! + f.calc[i]!;
    const t = et + core;
    if (t >= 128) f.labels[i] = et > core ? 3 : 1;
    else if (f.ed[i]! + t >= 128) f.labels[i] = 2;
    else f.labels[i] = 0;
  }
}
