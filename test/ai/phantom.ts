/**
 * Synthetic glioma phantom directly on a model grid, in normalised units: a head ellipsoid with a spherical tumour
 * made of a necrotic core (NCR), an enhancing shell (ET) and oedema (ED). Class intensities are the centroids the
 * test models' rules were built from (test/fixtures/models/make_test_models.py), plus seeded Gaussian noise, so the
 * ground truth is known exactly.
 */
import type { Vec3 } from '../../src/imaging/volume';
import type { ModelRole } from '../../src/series-id/roles';
import type { GridInput } from '../../src/ai/inference';

export const CENTROIDS: Record<'background' | 'NCR' | 'ED' | 'ET', [number, number, number, number]> = {
  background: [0, 0, 0, 0],
  NCR: [-1.5, -1.0, 3.0, 1.0],
  ED: [-0.5, 0.0, 2.0, 2.0],
  ET: [0.0, 3.0, 1.0, 1.0],
};
const ROLES: ModelRole[] = ['t1', 't1ce', 't2', 'flair'];

/** mulberry32: small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Phantom {
  input: GridInput;
  /** Ground truth: 0 background, 1 NCR, 2 ED, 3 ET (the tiny-glioma segment order). */
  truth: Uint8Array;
  head: Uint8Array;
}

export interface PhantomOptions {
  dims?: Vec3;
  spacing?: Vec3;
  centre?: Vec3;
  /** Radii (voxels) of the NCR core, the ET shell and the oedema. */
  radii?: [number, number, number];
  noise?: number;
  seed?: number;
}

export function makePhantom(o: PhantomOptions = {}): Phantom {
  const dims = o.dims ?? [40, 36, 32];
  const spacing = o.spacing ?? [2, 2, 2];
  const centre = o.centre ?? [22, 17, 15];
  const [rN, rE, rD] = o.radii ?? [3, 5, 8];
  const noise = o.noise ?? 0.3;
  const rand = rng(o.seed ?? 1);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const n = dims[0] * dims[1] * dims[2];
  const channels = ROLES.map(() => new Float32Array(n));
  const truth = new Uint8Array(n);
  const head = new Uint8Array(n);
  const half = dims.map((d) => d / 2 - 1.5);
  for (let k = 0, v = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, v++) {
        const e = ((i - dims[0] / 2 + 0.5) / half[0]!) ** 2 + ((j - dims[1] / 2 + 0.5) / half[1]!) ** 2 + ((k - dims[2] / 2 + 0.5) / half[2]!) ** 2;
        const inHead = e <= 1;
        head[v] = inHead ? 1 : 0;
        const r = Math.hypot(i - centre[0], j - centre[1], k - centre[2]);
        let cls: keyof typeof CENTROIDS = 'background';
        if (inHead) {
          if (r < rN) cls = 'NCR';
          else if (r < rE) cls = 'ET';
          else if (r < rD) cls = 'ED';
        }
        truth[v] = { background: 0, NCR: 1, ED: 2, ET: 3 }[cls];
        const mu = inHead ? CENTROIDS[cls] : [-1.5, -1.5, -1.5, -1.5];
        for (let c = 0; c < 4; c++) channels[c]![v] = mu[c]! + noise * gauss();
      }
    }
  }
  const affine = new Float64Array([spacing[0], 0, 0, -40, 0, spacing[1], 0, -36, 0, 0, spacing[2], -32, 0, 0, 0, 1]);
  return {
    input: { dims: [...dims] as Vec3, spacing: [...spacing] as Vec3, affine, channels: Object.fromEntries(ROLES.map((r, c) => [r, channels[c]!])) },
    truth,
    head,
  };
}

/** Dice of (a in A) vs (b in B) over two label maps: the engine's own, exercised by its unit tests. */
export { dice } from '../../src/ai/postprocess';
