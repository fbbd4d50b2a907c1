/**
 * Marching cubes on a binary mask (iso-level 0.5 between voxel centres, so every vertex is an edge midpoint), as
 * IBSI prescribes for mesh-based morphological features.
 *
 * Instead of a hand-typed 256-case triangle table, the table is derived at start-up: for every corner
 * configuration, each cube face contributes oriented segments that cut off its inside corners (ambiguous faces:
 * inside corners kept separate, the same rule from both sides of a face, so the surface is closed); the
 * segments of the six faces chain into closed loops, and each loop is fan-triangulated from the vertex that
 * makes the surface bulge outward (see bestFanStart). Orientation is
 * consistent over the whole mesh, which the signed-tetrahedron volume needs.
 */
import type { Vec3 } from '../imaging/volume';

/** Corner c of a unit cube sits at (c & 1, (c >> 1) & 1, (c >> 2) & 1). */
const EDGES: [number, number][] = [];
for (let axis = 0; axis < 3; axis++) {
  for (let c = 0; c < 8; c++) if (!(c & (1 << axis))) EDGES.push([c, c | (1 << axis)]);
}
const edgeIndex = (a: number, b: number): number => EDGES.findIndex(([p, q]) => (p === a && q === b) || (p === b && q === a));

/** The 6 faces, each as 4 corners counter-clockwise seen from outside the cube. */
const FACES: number[][] = [];
for (let f = 0; f < 3; f++) {
  const u = (f + 1) % 3;
  const v = (f + 2) % 3;
  for (const side of [0, 1]) {
    const at = (a: number, b: number): number => (side << f) | (a << u) | (b << v);
    FACES.push(side ? [at(0, 0), at(1, 0), at(1, 1), at(0, 1)] : [at(0, 0), at(0, 1), at(1, 1), at(1, 0)]);
  }
}

/** For each of the 256 corner configurations: closed loops of cube edge indices. */
export const LOOP_TABLE: number[][][] = Array.from({ length: 256 }, (_, cfg) => loopsFor(cfg));

function loopsFor(cfg: number): number[][] {
  const inside = (c: number): boolean => !!(cfg & (1 << c));
  const next = new Map<number, number>(); // segment start edge -> end edge
  for (const q of FACES) {
    const enters: number[] = [];
    const exits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const a = q[i]!;
      const b = q[(i + 1) % 4]!;
      if (!inside(a) && inside(b)) enters.push(i);
      if (inside(a) && !inside(b)) exits.push(i);
    }
    for (const x of exits) {
      // The inside run ending at exit x started at the nearest enter before it (walking backwards).
      let e = -1;
      for (let k = 1; k <= 4 && e < 0; k++) if (enters.includes((x - k + 4) % 4)) e = (x - k + 4) % 4;
      const from = edgeIndex(q[x]!, q[(x + 1) % 4]!);
      const to = edgeIndex(q[e]!, q[(e + 1) % 4]!);
      next.set(from, to);
    }
  }
  const loops: number[][] = [];
  const used = new Set<number>();
  for (const start of next.keys()) {
    if (used.has(start)) continue;
    const loop: number[] = [];
    let e = start;
    while (!used.has(e)) {
      used.add(e);
      loop.push(e);
      e = next.get(e)!;
    }
    loops.push(bestFanStart(loop));
  }
  return loops;
}

/** Midpoint of cube edge e in unit-cube coordinates. */
function edgeMidpoint(e: number): Vec3 {
  const [a, b] = EDGES[e]!;
  return [((a & 1) + (b & 1)) / 2, (((a >> 1) & 1) + ((b >> 1) & 1)) / 2, (((a >> 2) & 1) + ((b >> 2) & 1)) / 2];
}

/**
 * Rotates a loop so that fan-triangulating from its first vertex encloses the most volume (the surface bulges
 * outward across non-planar loops). Loops are oriented so that enclosed volume is negative signed volume; the
 * difference between two fans of the same loop does not depend on the origin, nor on (positive) voxel spacing.
 * This choice reproduces the IBSI phantom's reference mesh volume and area (556 mm³, 388 mm²).
 */
function bestFanStart(loop: number[]): number[] {
  if (loop.length <= 3) return loop;
  const p = loop.map(edgeMidpoint);
  let best = 0;
  let bestSigned = Infinity;
  for (let s = 0; s < loop.length; s++) {
    let signed = 0;
    for (let t = 1; t + 1 < loop.length; t++) {
      const a = p[s]!;
      const b = p[(s + t) % loop.length]!;
      const c = p[(s + t + 1) % loop.length]!;
      signed += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    if (signed < bestSigned - 1e-12) {
      bestSigned = signed;
      best = s;
    }
  }
  return [...loop.slice(best), ...loop.slice(0, best)];
}

export interface Mesh {
  /** Vertex coordinates in mm (x, y, z interleaved), in the grid's (i, j, k) axes scaled by spacing. */
  vertices: Float64Array;
  /** Vertex indices, three per triangle, consistently oriented. */
  triangles: Uint32Array;
}

/** Mesh of the mask's surface (mask value != 0 is inside), on a grid with the given voxel spacing. */
export function marchingCubes(mask: ArrayLike<number>, dims: Vec3, spacing: Vec3): Mesh {
  const [nx, ny, nz] = dims;
  // Bounding box of the mask, so the vertex index space stays small.
  let lo: Vec3 = [nx, ny, nz];
  let hi: Vec3 = [-1, -1, -1];
  for (let z = 0, v = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, v++) {
        if (!mask[v]) continue;
        lo = [Math.min(lo[0], x), Math.min(lo[1], y), Math.min(lo[2], z)];
        hi = [Math.max(hi[0], x), Math.max(hi[1], y), Math.max(hi[2], z)];
      }
  if (hi[0] < 0) return { vertices: new Float64Array(0), triangles: new Uint32Array(0) };
  const at = (x: number, y: number, z: number): boolean =>
    x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz && !!mask[x + nx * (y + ny * z)];
  // Cubes span voxel centres (x..x+1); include one layer outside the box on each side (padding).
  const ox = lo[0] - 1;
  const oy = lo[1] - 1;
  const oz = lo[2] - 1;
  const bx = hi[0] - lo[0] + 3;
  const by = hi[1] - lo[1] + 3;
  const bz = hi[2] - lo[2] + 3;
  const vertexOf = new Int32Array(bx * by * bz * 3).fill(-1);
  const verts: number[] = [];
  const tris: number[] = [];
  const vertex = (x: number, y: number, z: number, e: number): number => {
    const [a, b] = EDGES[e]!;
    const axis = Math.log2(b - a);
    const cx = x + (a & 1) - ox;
    const cy = y + ((a >> 1) & 1) - oy;
    const cz = z + ((a >> 2) & 1) - oz;
    const key = ((cz * by + cy) * bx + cx) * 3 + axis;
    let id = vertexOf[key]!;
    if (id < 0) {
      id = verts.length / 3;
      vertexOf[key] = id;
      const p = [x + (a & 1), y + ((a >> 1) & 1), z + ((a >> 2) & 1)];
      p[axis]! += 0.5;
      verts.push(p[0]! * spacing[0], p[1]! * spacing[1], p[2]! * spacing[2]);
    }
    return id;
  };
  for (let z = oz; z < oz + bz - 1; z++) {
    for (let y = oy; y < oy + by - 1; y++) {
      for (let x = ox; x < ox + bx - 1; x++) {
        let cfg = 0;
        for (let c = 0; c < 8; c++) if (at(x + (c & 1), y + ((c >> 1) & 1), z + ((c >> 2) & 1))) cfg |= 1 << c;
        if (cfg === 0 || cfg === 255) continue;
        for (const loop of LOOP_TABLE[cfg]!) {
          const ids = loop.map((e) => vertex(x, y, z, e));
          for (let t = 1; t + 1 < ids.length; t++) tris.push(ids[0]!, ids[t]!, ids[t + 1]!);
        }
      }
    }
  }
  return { vertices: Float64Array.from(verts), triangles: Uint32Array.from(tris) };
}

/** Enclosed volume (mm³) by summing signed tetrahedra to the origin (IBSI RNU0). */
export function meshVolume(m: Mesh): number {
  let s = 0;
  const v = m.vertices;
  for (let t = 0; t < m.triangles.length; t += 3) {
    const a = m.triangles[t]! * 3;
    const b = m.triangles[t + 1]! * 3;
    const c = m.triangles[t + 2]! * 3;
    s +=
      v[a]! * (v[b + 1]! * v[c + 2]! - v[b + 2]! * v[c + 1]!) -
      v[a + 1]! * (v[b]! * v[c + 2]! - v[b + 2]! * v[c]!) +
      v[a + 2]! * (v[b]! * v[c + 1]! - v[b + 1]! * v[c]!);
  }
  return Math.abs(s) / 6;
}

/** Surface area (mm²): sum of triangle areas (IBSI C0JK). */
export function meshArea(m: Mesh): number {
  let s = 0;
  const v = m.vertices;
  for (let t = 0; t < m.triangles.length; t += 3) {
    const a = m.triangles[t]! * 3;
    const b = m.triangles[t + 1]! * 3;
    const c = m.triangles[t + 2]! * 3;
    const ux = v[b]! - v[a]!;
    const uy = v[b + 1]! - v[a + 1]!;
    const uz = v[b + 2]! - v[a + 2]!;
    const wx = v[c]! - v[a]!;
    const wy = v[c + 1]! - v[a + 1]!;
    const wz = v[c + 2]! - v[a + 2]!;
    s += Math.hypot(uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx) / 2;
  }
  return s;
}
