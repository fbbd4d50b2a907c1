/**
 * Manifest vs ONNX graph: do the declared tensors exist with the declared element type, rank and fixed sizes?
 * Works on onnxruntime's session metadata (names, types, shapes with symbolic dims as strings). Pure.
 */
import { clinicalInputs, type ModelManifest } from './manifest';
import { tensorSpatialShape } from './patch';

/** The part of onnxruntime's ValueMetadata we read. */
export interface TensorMeta {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

interface Declared {
  what: string;
  name: string;
  dtype: string;
  shape: ReadonlyArray<number | string>;
}

function declaredInputs(m: ModelManifest): Declared[] {
  const out: Declared[] = [{ what: 'image input', ...m.inputs.image }];
  if (m.inputs.modalityMask) out.push({ what: 'modality mask input', ...m.inputs.modalityMask });
  if (m.inputs.wholeImage) out.push({ what: 'whole-image input', ...m.inputs.wholeImage });
  for (const c of clinicalInputs(m)) out.push({ what: `clinical input (${c.quantity})`, ...c });
  return out;
}

function declaredOutputs(m: ModelManifest): Declared[] {
  const out: Declared[] = [];
  if (m.outputs.segmentation) out.push({ what: 'segmentation output', ...m.outputs.segmentation });
  for (const h of m.outputs.heads) out.push({ what: `head "${h.id}" output`, ...h });
  for (const h of m.outputs.survival) out.push({ what: `survival head "${h.id}" output`, ...h });
  return out;
}

function compare(d: Declared, g: TensorMeta | undefined, side: 'input' | 'output', available: string[]): string[] {
  if (!g) return [`${d.what} "${d.name}" is not an ${side} of the graph (graph ${side}s: ${available.join(', ') || 'none'})`];
  if (!g.isTensor) return [`${d.what} "${d.name}" is not a tensor in the graph`];
  const problems: string[] = [];
  if (g.type !== d.dtype) problems.push(`${d.what} "${d.name}": manifest dtype ${d.dtype}, graph ${g.type}`);
  const gs = g.shape ?? [];
  if (gs.length && gs.length !== d.shape.length) {
    problems.push(`${d.what} "${d.name}": manifest rank ${d.shape.length} [${d.shape.join(',')}], graph rank ${gs.length} [${gs.join(',')}]`);
  } else {
    gs.forEach((gd, i) => {
      const md = d.shape[i];
      if (typeof gd === 'number' && typeof md === 'number' && gd !== md) {
        problems.push(`${d.what} "${d.name}": dimension ${i} is ${md} in the manifest, ${gd} in the graph`);
      }
    });
  }
  return problems;
}

/** Every mismatch between manifest and graph, as sentences naming the tensor; empty when they agree. */
export function checkGraph(m: ModelManifest, inputs: readonly TensorMeta[], outputs: readonly TensorMeta[]): string[] {
  const problems: string[] = [];
  const inNames = inputs.map((x) => x.name);
  const outNames = outputs.map((x) => x.name);
  const decl = declaredInputs(m);
  for (const d of decl) problems.push(...compare(d, inputs.find((x) => x.name === d.name), 'input', inNames));
  for (const d of declaredOutputs(m)) problems.push(...compare(d, outputs.find((x) => x.name === d.name), 'output', outNames));
  const fed = new Set(decl.map((d) => d.name));
  for (const g of inputs) if (!fed.has(g.name)) problems.push(`graph input "${g.name}" is not declared in the manifest (the node would not feed it)`);

  // A survival head's width is its number of time bins, even where the manifest leaves it symbolic.
  for (const h of m.outputs.survival) {
    const b = outputs.find((x) => x.name === h.name)?.shape?.[1];
    if (typeof b === 'number' && b !== h.timeBinsMonths.length) {
      problems.push(`survival head "${h.id}" output "${h.name}": the graph gives ${b} hazards, the manifest declares ${h.timeBinsMonths.length} time bins`);
    }
  }

  // Fixed spatial sizes in the graph must equal the window the node will feed.
  if (m.tiling.mode !== 'whole') {
    const want = tensorSpatialShape(m.tiling.patchSize, m.inputs.image.axes);
    const g = inputs.find((x) => x.name === m.inputs.image.name)?.shape ?? [];
    g.slice(2).forEach((gd, n) => {
      if (typeof gd === 'number' && gd !== want[n]) {
        problems.push(`image input "${m.inputs.image.name}": graph dimension ${n + 2} is fixed at ${gd} but the patch gives ${want[n]}`);
      }
    });
  }
  return problems;
}
