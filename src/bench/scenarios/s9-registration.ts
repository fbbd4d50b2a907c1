/**
 * S9: inter-series registration added per study. A small synthetic GBM study whose T1, T2 and
 * FLAIR moved 5 degrees / 5 mm (synth --motion 5,5). Node: the registration stage (registerInterSeries: 3 rigid
 * registrations to the T1ce at the default sampling, elastix WebAssembly, one worker thread per series, plus the
 * before/after checks). Peer in the same run: the Debian elastix CLI doing the same 3 registrations (same parameter
 * maps and sampling, 3 processes side by side, one thread each). Brain extraction is not part of this scenario.
 * Targets: node <= 15 s per study on the 2-core development machine; node / CLI reported (no target).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { SeriesVolume } from '../../imaging/volume';
import { registerWithCli } from '../../registration/elastix-cli';
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
    const node = summarise('registration of 3 series per study', 'node', 'ms', nodeMs);
    const cli = summarise('registration of 3 series per study', 'elastix CLI', 'ms', cliMs);
    return {
      measurements: [node, summarise('registration of 3 series per study (CPU time, all threads)', 'node', 'ms', nodeCpuMs), cli],
      ratios: [
        { label: 'node registration per study (s)', value: node.median / 1000, target: '<= 15', pass: node.median <= 15000 },
        { label: 'node / elastix CLI (same maps, same sampling)', value: node.median / cli.median },
      ],
      notes: [`load average during the run ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${cpus().length} cores`, `sampling ${settings.samplingMm} mm, ${settings.resolutions} resolutions, ${settings.iterations} iterations; node time includes downsampling and the before/after checks; CLI time includes writing its two NIfTI inputs per call and excludes the downsampling`],
    };
  },
};
