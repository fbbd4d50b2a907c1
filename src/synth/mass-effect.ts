/**
 * Mass effect: a space-occupying lesion pushes the surrounding brain outward (compressed sulci and ventricles,
 * midline shift). Modelled as a smooth radial backward warp of the brain tissue maps: the tissue that ends up at
 * radius r from the lesion centre came from radius r * (1 - k * exp(-(r / lambda)^2)). That map is monotonic for
 * k < 1, fades out a few lambda away, and is damped near the brain surface (the skull does not move).
 */
import type { Vec3 } from '../imaging/volume';
import type { Anatomy, TissueMaps } from './anatomy';
import { invert, apply } from './geometry';
import { trilinear } from './volume-ops';

export interface MassEffect {
  /** Lesion centre, template LPS mm. */
  centre: Vec3;
  /** Lesion radius (mm); the displacement decays over about 1.3 x this. */
  radiusMm: number;
  /** 0 (none) .. 0.45 (marked): fraction by which tissue at the centre is pushed out. */
  strength: number;
}

/** Brain maps that move (extra-cranial maps are returned as they were). */
const MOVING: ReadonlyArray<keyof TissueMaps> = ['csf', 'gm', 'wm', 'choroid'];

/** Returns tissue maps with the mass effects applied; the anatomy's own arrays are never modified. */
export function applyMassEffect(anat: Anatomy, effects: readonly MassEffect[]): TissueMaps {
  let maps: TissueMaps = { ...anat.maps };
  for (const fx of effects) {
    if (fx.strength <= 0) continue;
    maps = warpOnce(anat, maps, fx);
  }
  return maps;
}

function warpOnce(anat: Anatomy, src: TissueMaps, fx: MassEffect): TissueMaps {
  const out: TissueMaps = { ...src };
  for (const name of MOVING) out[name] = new Float32Array(src[name]);
  const lambda = 1.3 * fx.radiusMm;
  const reach = 3 * lambda;
  const a = anat.affine;
  const inv = invert(a);
  const [nx, ny, nz] = anat.dims;
  const lo = apply(inv, [fx.centre[0] - reach, fx.centre[1] - reach, fx.centre[2] - reach]);
  const hi = apply(inv, [fx.centre[0] + reach, fx.centre[1] + reach, fx.centre[2] + reach]);
  const rng = (a0: number, b0: number, n: number): [number, number] => [
    Math.max(0, Math.floor(Math.min(a0, b0))),
    Math.min(n - 1, Math.ceil(Math.max(a0, b0))),
  ];
  const [i0, i1] = rng(lo[0], hi[0], nx);
  const [j0, j1] = rng(lo[1], hi[1], ny);
  const [k0, k1] = rng(lo[2], hi[2], nz);
  const pinMm = 10;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const idx = i + nx * (j + ny * k);
        if (!anat.brain[idx]) continue;
        const p: Vec3 = [a[0]! * i + a[3]!, a[5]! * j + a[7]!, a[10]! * k + a[11]!];
        if (a[1] || a[2] || a[4] || a[6] || a[8] || a[9]) {
          p[0] += a[1]! * j + a[2]! * k;
          p[1] += a[4]! * i + a[6]! * k;
          p[2] += a[8]! * i + a[9]! * j;
        }
        const dx = p[0] - fx.centre[0];
        const dy = p[1] - fx.centre[1];
        const dz = p[2] - fx.centre[2];
        const r2 = dx * dx + dy * dy + dz * dz;
        if (r2 > reach * reach) continue;
        const kEff = fx.strength * Math.min(1, anat.depth[idx]! / pinMm);
        const scale = 1 - kEff * Math.exp(-r2 / (lambda * lambda));
        const s = apply(inv, [fx.centre[0] + dx * scale, fx.centre[1] + dy * scale, fx.centre[2] + dz * scale]);
        for (const name of MOVING) out[name][idx] = trilinear(anat.dims, src[name], s[0], s[1], s[2], 0);
      }
    }
  }
  return out;
}
