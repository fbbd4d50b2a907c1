/**
 * S9: inter-series registration added per study. A small synthetic GBM study whose T1, T2 and
 * FLAIR moved 5 degrees / 5 mm (synth --motion 5,5). Node: the registration stage (registerInterSeries: 3 rigid
 * registrations to the T1ce at the default sampling, elastix WebAssembly, one worker thread per series, plus the
 * before/after checks). Peer in the same run: the Debian elastix CLI doing the same 3 registrations (same parameter
 * maps and sampling, 3 processes side by side, one thread each). Then brain extraction of the T1ce as template-space
 * and skull-stripped models need it (Colin27 affine + B-spline at 3 mm, mask warped), against the CLI running the
 * same two-stage registration (the CLI time excludes warping the mask).
 * Targets: registration + brain extraction <= 15 s per study on the 2-core development machine (the time a
 * BraTS-convention model adds); registration alone is what every study pays by default; node / CLI reported.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { multiply4 } from '../../imaging/affine';
import { headCentroid } from '../../imaging/to-model-grid';
import type { SeriesVolume, Vec3, Volume } from '../../imaging/volume';
import { atlasBrainExtraction } from '../../registration/brain-extraction';
import { registerWithCli } from '../../registration/elastix-cli';
import { loadBrainTemplate } from '../../registration/template-space';
import { atSpacing } from '../../registration/elastix-engine';
import { DEFAULT_INTER_SERIES, registerInterSeries } from '../../registration/inter-series';
import type { ModelRole } from '../../series-id/roles';
import { synthesiseStudy } from '../../synth/study';
import { summarise, type BenchScenario } from '../types';

export const scenario: BenchScenario = {
  name: 'S9-registration',
  description: 'inter-series rigid registration of 3 series to the T1ce per study: node (elastix WebAssembly) vs elastix CLI',
  async run(ctx) {
    const s = await synthesiseStudy({ tumor: 'gbm', seed: 'bench-registration', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never', motion: { rotationDeg: 5, translationMm: 5 } });
    const volumes: Partial<Record<ModelRole, SeriesVolume>> = {};
    for (const role of ['t1', 't1ce', 't2', 'flair'] as const) {
      const v = s.roleVolumes[role];
      const rec = s.series.find((x) => x.role === role);
      if (v && rec) volumes[role] = { ...v, seriesInstanceUid: rec.seriesInstanceUid, sources: [], imageOrientationPatient: [1, 0, 0, 0, 1, 0] };
    }
    const settings = DEFAULT_INTER_SERIES;
    const repeat = Math.max(1, Math.min(ctx.repeat, 3));
    const nodeMs: number[] = [];
    const nodeCpuMs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const out = await registerInterSeries({ volumes, settings });
      nodeMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      nodeCpuMs.push((c.user + c.system) / 1000);
      ctx.log(`node run ${r + 1}: ${out.report.series.map((e) => `${e.role} ${e.outcome} ${e.rotationDeg.toFixed(2)} deg ${e.elapsedMs} ms`).join(', ')}`);
    }
    const fixed = atSpacing(volumes.t1ce!, settings.samplingMm);
    const options = { stages: ['rigid' as const], resolutions: settings.resolutions, iterations: settings.iterations };
    const cliMs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      await Promise.all((['t1', 't2', 'flair'] as const).map((role) => registerWithCli(fixed, atSpacing(volumes[role]!, settings.samplingMm), options)));
      cliMs.push(performance.now() - t0);
    }
    // Brain extraction of the reference (template-space / skull-stripped models only).
    const beMs: number[] = [];
    const beCpuMs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const be = await atlasBrainExtraction(volumes.t1ce!);
      beMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      beCpuMs.push((c.user + c.system) / 1000);
      ctx.log(`node brain extraction ${r + 1}: ${be.elapsedMs} ms (${be.description})`);
    }
    const template = loadBrainTemplate();
    const shift = headCentroid(volumes.t1ce!).map((c, a) => c - headCentroid(template.image)[a]!) as Vec3;
    const moved: Volume = { ...template.image, affine: multiply4(new Float64Array([1, 0, 0, shift[0], 0, 1, 0, shift[1], 0, 0, 1, shift[2], 0, 0, 0, 1]), template.image.affine) };
    const cliBeMs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      await registerWithCli(volumes.t1ce!, moved, { stages: ['affine', 'bspline'], spacingMm: 3 });
      cliBeMs.push(performance.now() - t0);
    }
    const node = summarise('registration of 3 series per study', 'node', 'ms', nodeMs);
    const cli = summarise('registration of 3 series per study', 'elastix CLI', 'ms', cliMs);
    const nodeBe = summarise('brain extraction (atlas affine + B-spline)', 'node', 'ms', beMs);
    const cliBe = summarise('brain extraction (atlas affine + B-spline)', 'elastix CLI', 'ms', cliBeMs);
    const total = node.median + nodeBe.median;
    return {
      measurements: [node, summarise('registration of 3 series per study (CPU time, all threads)', 'node', 'ms', nodeCpuMs), cli,
        nodeBe, summarise('brain extraction (CPU time, all threads)', 'node', 'ms', beCpuMs), cliBe],
      ratios: [
        { label: 'node registration + brain extraction per study (s)', value: total / 1000, target: '<= 15', pass: total <= 15000 },
        { label: 'node registration per study (s), every study by default', value: node.median / 1000 },
        { label: 'node / elastix CLI, registration (same maps, same sampling)', value: node.median / cli.median },
        { label: 'node / elastix CLI, brain extraction registration', value: nodeBe.median / cliBe.median },
      ],
      notes: [`load average during the run ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${cpus().length} cores`, `sampling ${settings.samplingMm} mm, ${settings.resolutions} resolutions, ${settings.iterations} iterations; node time includes downsampling and the before/after checks; CLI time includes writing its two NIfTI inputs per call and excludes the downsampling`],
    };
  },
};
