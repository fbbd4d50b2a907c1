/**
 * S7: SEG + SR write. BINARY SEG with 3 segments x 155 slices of 240x240 (465 frames, every
 * frame non-empty), then the same at 4x the slices (1,860 frames) to get the scaling exponent (catches O(n^2)
 * writers, dcmjs#159). Peers in the same run: DCMTK `dcmdump` parsing our output (validity + time), and dcmjs
 * `DicomDict.write` of the very same SEG data set (what the node would cost with the stock writer).
 * Targets: SEG write <= 1 s at ~500 frames; time(4x)/time(1x) <= 4.5.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import dcmjs from 'dcmjs';
import { readP10 } from '../../dicom/p10';
import { templateNarrative } from '../../encoders/narrative/templates';
import type { EncoderOptions } from '../../encoders/options';
import { encodeSeg } from '../../encoders/seg/seg-encoder';
import { encodeSr } from '../../encoders/sr/sr-encoder';
import { AXIAL, syntheticCase, type SyntheticCase } from '../../testing/synthetic-findings';
import { outputUids } from '../../encoders/uid-scheme';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';

const OPTS: EncoderOptions = { node: { name: 'bench', version: 'bench' }, now: new Date('2026-01-01T00:00:00') };

/** BraTS-like grid; three concentric cylinders through every slice, so every (segment, slice) frame is stored. */
function benchCase(slices: number): SyntheticCase {
  const grid = { columns: 240, rows: 240, slices, spacing: [1, 1, 1] as [number, number, number], ...AXIAL, origin: [-120, -120, -77] as [number, number, number] };
  const long = slices * 10;
  return syntheticCase({
    grid,
    key: `s7-${slices}`,
    roles: ['t1ce'],
    blobs: [
      { label: 2, centre: [120, 120, slices / 2], radii: [60, 55, long] },
      { label: 3, centre: [120, 120, slices / 2], radii: [35, 30, long] },
      { label: 1, centre: [120, 120, slices / 2], radii: [15, 12, long] },
    ],
  });
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = fn();
  return { ms: performance.now() - t, value };
}

export const scenario: BenchScenario = {
  name: 'S7-seg-sr-write',
  description: 'SEG (3 seg x 155 x 240^2, then 4x slices) + SR write; peers: dcmdump parse, dcmjs DicomDict.write',
  async run(ctx) {
    const measurements: BenchMeasurement[] = [];
    const ratios: BenchRatio[] = [];
    const notes: string[] = [];
    const medians: Record<string, number> = {};
    for (const [label, slices] of [['1x', 155], ['4x', 620]] as const) {
      const c = benchCase(slices);
      const uids = outputUids(c.findings, OPTS);
      encodeSeg(c.findings, c.header, OPTS, uids); // warm-up
      const seg: number[] = [];
      let bytes: Buffer = Buffer.alloc(0);
      let frames = 0;
      for (let r = 0; r < ctx.repeat; r++) {
        const t = time(() => encodeSeg(c.findings, c.header, OPTS, uids));
        seg.push(t.ms);
        bytes = t.value.bytes;
        frames = t.value.plan.frames.length;
      }
      const m = summarise(`SEG encode+write, ${frames} frames (${label})`, 'node', 'ms', seg);
      measurements.push(m);
      medians[label] = m.median;
      const file = join(ctx.workDir, `seg-${label}.dcm`);
      writeFileSync(file, bytes);
      ctx.log(`${label}: ${frames} frames, ${(bytes.length / 1e6).toFixed(2)} MB`);

      // Peer 1: DCMTK parses (and prints) the output.
      const dump: number[] = [];
      for (let r = 0; r < ctx.repeat; r++) {
        const t = time(() => spawnSync('dcmdump', ['-q', file], { stdio: ['ignore', 'ignore', 'pipe'] }));
        if (t.value.status !== 0) throw new Error(`dcmdump could not parse the SEG: ${t.value.stderr.toString()}`);
        dump.push(t.ms);
      }
      const d = summarise(`dcmdump parse of the SEG (${label})`, 'dcmtk', 'ms', dump);
      measurements.push(d);
      ratios.push({ label: `node SEG write / dcmdump parse (${label})`, value: m.median / d.median });

      // Peer 2: the same data set written by dcmjs DicomDict.write (the stock writer).
      const ds = readP10(bytes).dataset;
      const dj: number[] = [];
      for (let r = 0; r < ctx.repeat; r++) {
        dj.push(
          time(() => {
            const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ TransferSyntaxUID: '1.2.840.10008.1.2.1', MediaStorageSOPClassUID: ds.SOPClassUID, MediaStorageSOPInstanceUID: ds.SOPInstanceUID }));
            dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
            return dict.write();
          }).ms,
        );
      }
      const j = summarise(`dcmjs DicomDict.write of the same SEG (${label})`, 'dcmjs', 'ms', dj);
      measurements.push(j);
      medians[`dcmjs-${label}`] = j.median;
      ratios.push({ label: `node SEG write / dcmjs write (${label})`, value: m.median / j.median, target: '<= 1', pass: m.median <= j.median });

      if (label === '1x') {
        ratios.push({ label: 'SEG write at 465 frames / 1000 ms budget', value: m.median / 1000, target: '<= 1', pass: m.median <= 1000 });
        const narrative = templateNarrative(c.findings);
        const segRef = encodeSeg(c.findings, c.header, OPTS, uids);
        const sr: number[] = [];
        for (let r = 0; r < ctx.repeat; r++) {
          sr.push(time(() => encodeSr(c.findings, c.header, OPTS, uids, narrative, { sopInstanceUid: segRef.sopInstanceUid, segments: segRef.segments, emptySegments: segRef.plan.emptySegments })).ms);
        }
        measurements.push(summarise('SR (TID 1500) encode+write', 'node', 'ms', sr));
      }
    }
    const scaling = medians['4x']! / medians['1x']!;
    ratios.push({ label: 'node SEG time(4x frames) / time(1x)', value: scaling, target: '<= 4.5', pass: scaling <= 4.5 });
    ratios.push({ label: 'dcmjs write time(4x frames) / time(1x) (reference)', value: medians['dcmjs-4x']! / medians['dcmjs-1x']! });
    notes.push(`scaling exponent log(t4x/t1x)/log(4) = ${(Math.log(scaling) / Math.log(4)).toFixed(2)} (1.00 = linear)`);
    notes.push('dcmdump times include process start and text formatting of every element');
    return { measurements, ratios, notes };
  },
};
