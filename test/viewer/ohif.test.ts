/** @jest-environment ./test/ai/ort-environment.js */
/**
 * Our results in the viewer radiologists already use: the OHIF Viewer 3 production build (npm @ohif/app, fetched by
 * scripts/fetch-ohif.sh) in Debian Chromium reads the study from a real PACS (Orthanc + DICOMweb) after the node
 * delivered its SEG and SR there.
 *
 * For a multi-frame (Enhanced MR, sagittal 3D) and a single-frame display series:
 *   - OHIF lists the SEG and SR, overlays the SEG on its display series (not on another series of the study),
 *   - its label map holds exactly the voxels our own decoder places on each source slice/frame, per segment,
 *   - the segments carry our labels; the SR loads as a display set; no page errors, no SEG errors in the console.
 * The tiny test model keeps inference short: this is about placement and interoperability, not accuracy (the
 * e2e accuracy test scores the same decoder against the ground truth).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseConfig } from '../../src/config/load';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { decodeSeg, segToLabelmap } from '../../src/encoders';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy, type StudyOptions } from '../../src/synth/study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';
import { startOhif, type OhifServer } from './ohif-server';

// Software WebGL (SwiftShader): cornerstone3D renders with WebGL2 and the test machines have no GPU.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Label map as sparse voxels per source image: `${SOPInstanceUID}/frames/${n}` -> [pixelIndex * 16 + segmentNumber]. */
type SparseLabels = Record<string, number[]>;

/** What OHIF holds after loading the SEG (evaluated in the page). */
interface OhifSeg {
  label: string;
  segmentLabels: string[];
  missingImages: number;
  voxels: SparseLabels;
}

const first = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

describe('SEG and SR in the OHIF Viewer 3 (Chromium), read back from a real PACS', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ohif-'));
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let ohif: OhifServer;
  let ctx: BrowserContext;

  beforeAll(async () => {
    pacs = await startOrthanc();
    ohif = await startOhif(pacs.dicomWebUrl);
    node = await startPipelineNode(parseConfig({
      node: { dataDir: join(tmp, 'data') },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 3600 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'] },
    }));
    ctx = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 900 },
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await node?.close();
    await ohif?.close();
    await pacs?.stop();
    if (process.env.KEEP_OHIF_TMP !== '1') rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs a synthetic study through the node (results delivered to the PACS, which also holds the images). */
  async function processed(opts: StudyOptions): Promise<{ uid: string; files: Buffer[]; seg: NaturalDataset; sr: NaturalDataset }> {
    const study = await synthesiseStudy(opts);
    const uid = study.study.studyInstanceUid;
    const files = study.files.map((f) => f.buffer);
    expect((await stow(pacs.dicomWebUrl, files)).every((s) => s === 200)).toBe(true);
    expect((await stow(node.dicomwebUrl, files)).every((s) => s === 200)).toBe(true);
    expect((await fetch(`${node.httpUrl}/api/studies/${uid}/ready`, { method: 'POST' })).ok).toBe(true);
    await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job');
    expect(node.jobs.list({ studyUid: uid })[0]!.lastError).toBeUndefined();
    const found = await pacs.rest<string[]>('POST', '/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: uid, Modality: 'SEG' } });
    expect(found).toHaveLength(1);
    const seg = readP10(Buffer.from(await (await fetch(`${pacs.url}/instances/${found[0]}/file`)).arrayBuffer())).dataset;
    const srId = await pacs.rest<string[]>('POST', '/tools/find', { Level: 'Instance', Query: { StudyInstanceUID: uid, Modality: 'SR' } });
    expect(srId).toHaveLength(1);
    const sr = readP10(Buffer.from(await (await fetch(`${pacs.url}/instances/${srId[0]}/file`)).arrayBuffer())).dataset;
    return { uid, files, seg, sr };
  }

  /**
   * The bidimensional measurement of our SR in the shape OHIF's SR parser gives measurements: from the group of the
   * segment it measures (the other groups list the axes as not attempted, without lines). Undefined when it measures
   * a region that is no SEG segment (the whole tumour when nothing enhances): then it is a derived measurement,
   * which OHIF does not read (docs/outputs.md).
   */
  function expectedBidimensional(sr: NaturalDataset): { tracking: string; labels: Array<{ label: string; value: string }>; coords: Array<{ type: string; data: number[]; sop: string }> } | undefined {
    const items = (n: NaturalDataset, key = 'ContentSequence'): NaturalDataset[] => [n[key] ?? []].flat() as NaturalDataset[];
    const meaning = (n: NaturalDataset): string => String(items(n, 'ConceptNameCodeSequence')[0]?.CodeMeaning ?? '');
    const measurements = items(sr).find((n) => meaning(n) === 'Imaging Measurements')!;
    const group = items(measurements).find((g) => items(g).some((i) => meaning(i) === 'Long axis' && items(i).some((c) => c.ValueType === 'SCOORD')));
    if (!group) {
      // Then the lines are among the derived measurements: the measurement is in the SR, only not where OHIF looks.
      const derived = items(sr).find((n) => meaning(n) === 'Derived Imaging Measurements');
      expect(items(derived!).some((i) => meaning(i) === 'Long axis' && items(i).some((c) => c.ValueType === 'SCOORD'))).toBe(true);
      return undefined;
    }
    const tracking = String(items(group).find((i) => meaning(i) === 'Tracking Identifier')!.TextValue);
    const nums = items(group).filter((i) => meaning(i) === 'Long axis' || meaning(i) === 'Short axis');
    return {
      tracking,
      labels: nums.map((n) => ({ label: meaning(n), value: `${Number(items(n, 'MeasuredValueSequence')[0]!.NumericValue).toFixed(2)} mm` })),
      coords: nums.map((n) => {
        const sc = items(n).find((i) => i.ValueType === 'SCOORD')!;
        return { type: String(sc.GraphicType), data: [sc.GraphicData].flat().map(Number), sop: String(items(items(sc)[0]!, 'ReferencedSOPSequence')[0]!.ReferencedSOPInstanceUID) };
      }),
    };
  }

  /** Where our decoder puts each segment's voxels on the display series, keyed like OHIF's image ids. */
  async function expectedVoxels(seg: NaturalDataset, files: Buffer[]): Promise<{ display: string; voxels: SparseLabels }> {
    const display = String((first(seg.ReferencedSeriesSequence as NaturalDataset[]) as NaturalDataset).SeriesInstanceUID);
    const volume = (await buildSeriesVolume(files.filter((b) => readP10(b, { headerOnly: true }).dataset.SeriesInstanceUID === display))).volume;
    const labels = segToLabelmap(decodeSeg(seg), volume.sources);
    const frameSize = volume.dims[0] * volume.dims[1];
    const voxels: SparseLabels = {};
    volume.sources.forEach((s, k) => {
      const list: number[] = [];
      for (let p = 0; p < frameSize; p++) if (labels[k * frameSize + p]) list.push(p * 16 + labels[k * frameSize + p]!);
      if (list.length) voxels[`${s.sopInstanceUid}/frames/${s.frameNumber ?? 1}`] = list;
    });
    return { display, voxels };
  }

  /**
   * First visits show an onboarding tour whose overlay swallows clicks; it may appear a moment after the viewer
   * (it is not part of what we test): dismiss it whenever it is there, then double-click.
   */
  async function dblclickPastTour(page: Page, target: ReturnType<Page['getByText']>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const skip = page.getByText('Skip all');
      if (await skip.isVisible()) await skip.click();
      try {
        await target.dblclick({ timeout: 10_000 });
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        await page.getByText('Skip all').waitFor({ timeout: 5_000 }).catch(() => undefined);
      }
    }
  }

  /** Opens the study in OHIF, loads the SEG (double-click + "Yes"), and reads back cornerstone's label map. */
  async function loadInOhif(page: Page, uid: string): Promise<{ seg: OhifSeg; overlaySeries: string }> {
    await page.goto(`${ohif.url}/viewer?StudyInstanceUIDs=${uid}`);
    const segThumb = page.getByText('AI tumour segmentation').first();
    await segThumb.waitFor({ timeout: 120_000 });
    await dblclickPastTour(page, segThumb);
    await page.getByText('Do you want to open this Segmentation?').waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Yes' }).click();
    await page.waitForFunction(() => {
      const w = globalThis as unknown as { cornerstoneTools?: { segmentation: { state: { getSegmentations(): Array<{ representationData: { Labelmap?: { imageIds?: string[] } } }> } } } };
      const segs = w.cornerstoneTools?.segmentation.state.getSegmentations() ?? [];
      return segs.length > 0 && (segs[0]!.representationData.Labelmap?.imageIds?.length ?? 0) > 0;
    }, undefined, { timeout: 120_000 });

    const seg = await page.evaluate((): OhifSeg => {
      /* eslint-disable @typescript-eslint/no-explicit-any -- OHIF's globals are untyped here */
      const w = globalThis as any;
      const s = w.cornerstoneTools.segmentation.state.getSegmentations()[0];
      const voxels: Record<string, number[]> = {};
      let missingImages = 0;
      for (const id of s.representationData.Labelmap.imageIds as string[]) {
        const img = w.cornerstone.cache.getImage(id);
        if (!img) {
          missingImages++;
          continue;
        }
        const px = img.getPixelData() as ArrayLike<number>;
        const list: number[] = [];
        for (let p = 0; p < px.length; p++) if (px[p]) list.push(p * 16 + px[p]!);
        // referencedImageId: wadors:/dicom-web/studies/<st>/series/<se>/instances/<sop>/frames/<n>
        const m = /instances\/([^/]+)\/frames\/(\d+)/.exec(String(img.referencedImageId));
        if (list.length) voxels[m ? `${m[1]}/frames/${m[2]}` : String(img.referencedImageId)] = list;
      }
      const segments = Object.values(s.segments as Record<string, { label: string; segmentIndex: number }>).sort((a, b) => a.segmentIndex - b.segmentIndex);
      return { label: s.label, segmentLabels: segments.map((x) => x.label), missingImages, voxels };
      /* eslint-enable @typescript-eslint/no-explicit-any */
    });
    // The series of the viewport the overlay went to.
    const overlaySeries = await page.evaluate(() => {
      const w = globalThis as unknown as { cornerstone: { getRenderingEngines(): Array<{ getViewports(): Array<{ getCurrentImageId?: () => string }> }> } };
      const id = w.cornerstone.getRenderingEngines()[0]?.getViewports()[0]?.getCurrentImageId?.() ?? '';
      return /series\/([^/]+)/.exec(id)?.[1] ?? id;
    });
    return { seg, overlaySeries };
  }

  const cases: Array<[string, StudyOptions]> = [
    ['Enhanced MR (multi-frame) sagittal 3D display series', { tumor: 'gbm', seed: 'ohif-enh', vendor: 'siemens', size: 'small', distractors: 'none', multiframe: 'always', transferSyntax: 'explicit' }],
    ['single-frame display series', { tumor: 'oligo', seed: 'ohif-sf', vendor: 'ge', size: 'small', distractors: 'none', multiframe: 'never', transferSyntax: 'explicit' }],
  ];

  test.each(cases)('%s: OHIF overlays the SEG voxel for voxel where our decoder puts it; segment labels; SR loads with its bidimensional lines', async (_name, opts) => {
    const { uid, files, seg, sr } = await processed(opts);
    const expected = await expectedVoxels(seg, files);
    expect(Object.keys(expected.voxels).length).toBeGreaterThan(0);

    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => {
      // cornerstone3D throws this from a render queued for the stack viewport that OHIF's SR viewport has just
      // replaced when OHIF switches to its SR viewport. Headless, the SR viewport
      // then stays black (so the drawing is not checked here, docs/outputs.md); the parse of our lines is.
      if (/stack viewport has been destroyed and is no longer usable/.test(e.message)) return;
      problems.push(`pageerror: ${e.message}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /seg|segment/i.test(m.text())) problems.push(`console: ${m.text().slice(0, 300)}`);
    });
    try {
      const { seg: shown, overlaySeries } = await loadInOhif(page, uid);
      expect(overlaySeries).toBe(expected.display);
      expect(shown.label).toBe(String(seg.SeriesDescription));
      const ours = (seg.SegmentSequence as NaturalDataset[]).map((s) => String(s.SegmentLabel));
      expect(shown.segmentLabels).toEqual(ours);
      expect(shown.missingImages).toBe(0);
      expect(Object.keys(shown.voxels).sort()).toEqual(Object.keys(expected.voxels).sort());
      for (const [key, list] of Object.entries(expected.voxels)) expect([key, shown.voxels[key]]).toEqual([key, list]);

      // The SR: OHIF makes a display set of it and loads it (it draws only SCOORD measurements, docs/outputs.md).
      await dblclickPastTour(page, page.getByText('AI tumour report').first());
      await page.waitForFunction(() => {
        const w = globalThis as unknown as { services: { displaySetService: { getActiveDisplaySets(): Array<{ Modality: string; isLoaded?: boolean }> } } };
        return w.services.displaySetService.getActiveDisplaySets().some((d) => d.Modality === 'SR' && d.isLoaded === true);
      }, undefined, { timeout: 60_000 });
      // OHIF's SR parser finds the bidimensional lines (SCOORD) with the values we wrote: what its SR viewport
      // and measurement panel show. (Groups of volumes refer to the SEG and carry no coordinates: not drawn.)
      const parsed = await page.evaluate(() => {
        /* eslint-disable @typescript-eslint/no-explicit-any -- OHIF's globals are untyped here */
        const w = globalThis as any;
        const sr = w.services.displaySetService.getActiveDisplaySets().find((d: any) => d.Modality === 'SR');
        return (sr.measurements ?? [])
          .filter((m: any) => m.coords?.length)
          .map((m: any) => ({ tracking: String(m.TrackingIdentifier), labels: m.labels, coords: m.coords.map((c: any) => ({ type: c.GraphicType, data: Array.from(c.GraphicData as number[]), sop: c.ReferencedSOPSequence?.[0]?.ReferencedSOPInstanceUID })) }));
        /* eslint-enable @typescript-eslint/no-explicit-any */
      });
      const bidimensional = expectedBidimensional(sr);
      expect(parsed).toEqual(bidimensional ? [bidimensional] : []);
      await page.screenshot({ path: join(tmp, `${opts.seed}.png`) });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 600_000);
});
