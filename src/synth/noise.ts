/**
 * Seeded smooth 3-D value noise (fractal sum of octaves). Used for irregular tumour borders, heterogeneous tumour
 * texture and smooth bias fields. Lattice values come from an integer hash of (seed, lattice point), so the noise is
 * defined everywhere without a table and is identical for the same seed.
 */

function hash3(seed: number, x: number, y: number, z: number): number {
  // Murmur-style integer mixing of the four inputs; returns a value in [-1, 1].
  let h = seed ^ Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ Math.imul(z, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483647.5 - 1;
}

function smooth(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10);
}

/** Value noise at a point in lattice units; smooth (C2), range about [-1, 1]. */
export function valueNoise3(seed: number, x: number, y: number, z: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const z0 = Math.floor(z);
  const fx = smooth(x - x0);
  const fy = smooth(y - y0);
  const fz = smooth(z - z0);
  const c000 = hash3(seed, x0, y0, z0);
  const c100 = hash3(seed, x0 + 1, y0, z0);
  const c010 = hash3(seed, x0, y0 + 1, z0);
  const c110 = hash3(seed, x0 + 1, y0 + 1, z0);
  const c001 = hash3(seed, x0, y0, z0 + 1);
  const c101 = hash3(seed, x0 + 1, y0, z0 + 1);
  const c011 = hash3(seed, x0, y0 + 1, z0 + 1);
  const c111 = hash3(seed, x0 + 1, y0 + 1, z0 + 1);
  const x00 = c000 + (c100 - c000) * fx;
  const x10 = c010 + (c110 - c010) * fx;
  const x01 = c001 + (c101 - c001) * fx;
  const x11 = c011 + (c111 - c011) * fx;
  const y0v = x00 + (x10 - x00) * fy;
  const y1v = x01 + (x11 - x01) * fy;
  return y0v + (y1v - y0v) * fz;
}

export interface FractalNoise {
  /** Noise at a point in millimetres; roughly zero-mean, |value| <= 1. */
  at(x: number, y: number, z: number): number;
}

/**
 * Fractal (fBm) noise: `octaves` layers, the first with features of about `scaleMm` millimetres, each next layer
 * half the size and `gain` times the amplitude. Normalised so the sum stays within [-1, 1].
 */
export function fractalNoise(seed: number, scaleMm: number, octaves = 3, gain = 0.5): FractalNoise {
  let norm = 0;
  for (let o = 0, a = 1; o < octaves; o++, a *= gain) norm += a;
  const inv = 1 / scaleMm;
  return {
    at(x, y, z) {
      let sum = 0;
      let amp = 1;
      let f = inv;
      for (let o = 0; o < octaves; o++) {
        sum += amp * valueNoise3(seed + o * 1013, x * f, y * f, z * f);
        amp *= gain;
        f *= 2;
      }
      return sum / norm;
    },
  };
}
