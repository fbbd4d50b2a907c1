/**
 * `npm run demo` / `neuro-onc-node demo`: the main job on embedded defaults. Starts the node (its own DICOMweb
 * destination, so no PACS is needed), generates a synthetic study from real anatomy, sends it by STOW-RS,
 * marks it complete, prints each stage as it runs and a summary table, and says where the SEG/SR are and how to
 * open them. Everything stays under the data folder (default ./var/demo).
 */
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseConfig } from '../config/load';
import type { ConfigInput } from '../config/schema';
import type { HeadKind } from '../ai/manifest';
import type { JobRecord } from '../jobs/types';
import { readFindings, readPipelineOutput } from '../pipeline/stage-outputs';
import { startPipelineNode } from '../pipeline-node';
import { synthesiseStudy } from '../synth/study';
import { writeStudy } from '../synth/write-study';
import { labelVolume } from '../synth/ground-truth';
import { resampleNearest } from '../imaging/resample';
import { dice } from '../ai/postprocess';
import { rootLogger } from '../log/logger';
import type { TumourKind } from '../synth/classes';

export interface DemoOptions {
  dataDir: string;
  tumor: TumourKind;
  seed: string;
  size: 'small' | 'full';
  modelsDir: string;
  out: (line: string) => void;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(p));
    });
  });
}

function multipart(parts: Buffer[]): { body: Buffer; type: string } {
  const b = `demo-${Date.now().toString(36)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${b}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/related; type="application/dicom"; boundary=${b}` };
}

const pct = (p: number): string => `${(100 * p).toFixed(0)}%`;

/** Runs the demo; resolves with the job's final state (done | failed). */
export async function runDemo(o: DemoOptions): Promise<{ job: JobRecord; outDir?: string }> {
  const say = o.out;
  // The demo prints its own progress; node log lines only for warnings unless LOG_LEVEL asks for more.
  if (!process.env.LOG_LEVEL) rootLogger().level = 'warn';
  const port = await freePort();
  const self = `http://127.0.0.1:${port}/dicom-web`;
  const input: ConfigInput = {
    node: { name: 'neuro-onc-node-demo', dataDir: o.dataDir },
    http: { host: '127.0.0.1', port },
    dimse: { enabled: false },
    study: { quietPeriodSeconds: 30 },
    models: { dir: o.modelsDir },
    destinations: [{ name: 'self', type: 'dicomweb', url: self }],
    delivery: { to: ['self'], secondaryCapture: true, encapsulatedPdf: true, initialBackoffSeconds: 1 },
  };
  const config = parseConfig(input);
  say(`neuro-onc-node demo  (research use only; models trained on synthetic data)`);
  say(`1. starting the node: DICOMweb ${self}, data in ${resolve(o.dataDir)}`);
  const node = await startPipelineNode(config);
  say(`   models loaded: ${node.registry.names().join(', ') || 'NONE (see models/)'}`);
  try {
    say(`2. generating a synthetic ${o.tumor} study from the Colin27 anatomy (seed ${o.seed}, ${o.size} size)`);
    const t0 = Date.now();
    const study = await synthesiseStudy({ tumor: o.tumor, seed: o.seed, vendor: 'siemens', size: o.size, distractors: 'all' });
    const inputDir = join(o.dataDir, 'demo-input', study.study.studyInstanceUid);
    writeStudy(study, inputDir);
    say(`   ${study.series.length} series, ${study.files.length} instances in ${((Date.now() - t0) / 1000).toFixed(1)} s (written to ${inputDir})`);
    for (const s of study.series) say(`     #${String(s.seriesNumber).padStart(3)} ${s.seriesDescription.padEnd(34)} ${String(s.instanceCount).padStart(4)} instance(s)`);

    say(`3. sending it to the node with STOW-RS`);
    const batch = 40;
    for (let i = 0; i < study.files.length; i += batch) {
      const { body, type } = multipart(study.files.slice(i, i + batch).map((f) => f.buffer));
      const r = await fetch(`${self}/studies`, { method: 'POST', headers: { 'Content-Type': type, Accept: 'application/dicom+json' }, body });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`STOW-RS answered ${r.status}`);
    }
    const studyUid = study.study.studyInstanceUid;
    say(`   stored ${study.files.length} instances; study ${studyUid}`);
    say(`4. marking the study complete (POST /api/studies/{uid}/ready) instead of waiting for the 30 s quiet period`);
    const ready = await fetch(`http://127.0.0.1:${port}/api/studies/${studyUid}/ready`, { method: 'POST' });
    if (!ready.ok) throw new Error(`ready API answered ${ready.status}`);

    const job = node.jobs.list({ studyUid, limit: 1 })[0]!;
    const started = Date.now();
    let last = '';
    const off = node.jobs.onChange((j) => {
      if (j.id !== job.id || j.state === last) return;
      last = j.state;
      say(`   [${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] job ${j.id}: ${j.state}${j.lastError ? ` (${j.lastError.message})` : ''}`);
    });
    const final = await node.jobs.waitFor(job.id, ['done', 'failed'], 30 * 60_000);
    off();

    say('5. summary');
    const dir = join(o.dataDir, 'jobs', String(final.id), 'work');
    const truth = study.caseModel.plan.classes;
    if (final.state !== 'done') {
      say(`   the job FAILED at ${final.lastError?.stage}: ${final.lastError?.message}`);
      say(`   stage outputs and logs: ${join(o.dataDir, 'jobs', String(final.id))}; GET /api/jobs/${final.id}`);
      return { job: final };
    }
    const inferOut = (await readPipelineOutput(node.jobs, final.id, 'inferring'))!.output;
    const encodeOut = (await readPipelineOutput(node.jobs, final.id, 'encoding'))!.output;
    for (const m of inferOut.models) {
      const f = await readFindings(dir, m.artifact);
      say(`   model ${f.model.name} ${f.model.version} on ${f.model.executionProvider.toUpperCase()}, inference ${((f.timings.total ?? 0) / 1000).toFixed(1)} s`);
      say(`   inputs: ${f.inputs.map((i) => `${i.role}="${i.seriesDescription ?? i.seriesInstanceUid}"`).join(', ')}${f.missingModalities.length ? `; missing: ${f.missingModalities.join(', ')}` : ''}`);
      // Ground truth of the synthetic study, resampled (nearest) onto the display series the SEG is on.
      const gt = f.segmentation ? resampleNearest(labelVolume(study), { dims: f.segmentation.labelmap.dims, affine: f.segmentation.labelmap.affine }) : undefined;
      const truthValues: Record<string, number[]> = { NCR: [1], ED: [2], ET: [3], TC: [1, 3], WT: [1, 2, 3], GTV: [1, 3] };
      say('   region   volume (mL)   Dice vs synthetic truth');
      for (const r of f.regions) {
        const d = gt && truthValues[r.key] ? dice(f.segmentation!.labelmap.data, r.labelValues, gt as Uint8Array, truthValues[r.key]!) : undefined;
        say(`   ${r.key.padEnd(6)} ${r.volumeMl.toFixed(1).padStart(10)}   ${d === undefined || Number.isNaN(d) ? '-' : d.toFixed(2)}`);
      }
      say('   head                         prediction                     probability   synthetic truth');
      // By the head's kind, so a model that names its heads differently still lines up with the synthetic truth.
      const truthOf: Partial<Record<HeadKind, string | null>> = { idh: truth.idh, codeletion_1p19q: truth.codeletion_1p19q, who_grade: truth.grade, histology: truth.histology, egfr: truth.egfr };
      for (const h of f.heads) {
        say(`   ${h.title.padEnd(28)} ${h.predicted.padEnd(30)} ${pct(h.confidence).padStart(11)}   ${truthOf[h.kind] ?? '-'}`);
      }
      if (f.diagnosis) say(`   integrated diagnosis: ${f.diagnosis.integrated.label} (${pct(f.diagnosis.integrated.probability)})   truth: ${truth.integratedDiagnosis}`);
      say(`   uncertainty: ${f.uncertaintySummary.level}`);
      for (const s of f.survival ?? []) {
        if (s.status !== 'reported') {
          say(`   ${s.title}: not reported (${s.reason})`);
          continue;
        }
        const at = s.timePoints.map((t) => `${t.months} mo ${pct(t.probability)}${t.std !== undefined ? ` ± ${pct(t.std)}` : ''}`).join(', ');
        say(`   ${s.title} (age ${s.ageYears ?? '?'}): survival ${at}; risk group ${s.riskGroup?.name ?? '-'}`);
        say(`     ${s.statement}`);
      }
    }
    const outDir = join(dir, 'out');
    say(`6. results (delivered to the node itself by STOW-RS, and kept as files):`);
    for (const ob of encodeOut.objects) say(`   ${ob.kind.padEnd(4)} ${ob.path}`);
    say('   open them:');
    say(`   - 3D Slicer: DICOM module > Import ${outDir} together with ${inputDir}; load the MR, SEG and SR (QuantitativeReporting shows the TID 1500 table)`);
    say(`   - OHIF: point it at this node's DICOMweb (${self}) while it runs (\`neuro-onc-node serve\` with the same data folder); the SEG overlays on the T1ce`);
    say(`   - terminal: dsrdump ${join(outDir, inferOut.models[0]!.model, 'sr.dcm')}   |   dciodvfy ${join(outDir, inferOut.models[0]!.model, 'seg.dcm')}`);
    say(`   - report: report-pdf.dcm is an Encapsulated PDF of the clinician and patient reports; the same text is in the SR`);
    say(`   - web: \`neuro-onc-node serve --data-dir ${o.dataDir}\` then http://127.0.0.1:8080/ui/jobs/${final.id} (clinician) and /ui/jobs/${final.id}/patient`);
    return { job: final, outDir };
  } finally {
    await node.close();
  }
}
