/**
 * `neuro-onc-node classify` as a user runs it: a real child process on real Part 10 files written to a temp folder
 * (plus a text file and a truncated DICOM file, which must be skipped with a warning, not crash the run).
 */
import { runCli } from '../helpers/run-cli';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSeriesFiles, type SeriesToWrite } from './helpers/write-series';



const STUDY = '2.25.900100';
const mprage = { SequenceName: '*tfl3d1_16ns', ScanningSequence: ['GR', 'IR'], SequenceVariant: ['SK', 'SP', 'MP'], MRAcquisitionType: '3D', RepetitionTime: 2300, EchoTime: 2.32, InversionTime: 900, FlipAngle: 8, SliceThickness: 1 };
const SERIES: SeriesToWrite[] = [
  { uid: `${STUDY}.1`, number: 1, description: 'localizer', time: '080000', slices: 9, orientations: [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, -1], [1, 0, 0, 0, 0, -1]], attrs: { SequenceName: '*fl2d1', ScanningSequence: ['GR'], RepetitionTime: 8.6, EchoTime: 4, FlipAngle: 20 } },
  { uid: `${STUDY}.3`, number: 3, description: 't1_mprage_sag_p2_iso', time: '080300', attrs: mprage },
  { uid: `${STUDY}.4`, number: 4, description: 't2_tse_tra_p2', time: '080900', attrs: { SequenceName: '*tse2d1_15', ScanningSequence: ['SE'], MRAcquisitionType: '2D', RepetitionTime: 6000, EchoTime: 99 } },
  { uid: `${STUDY}.5`, number: 5, description: 't2_tirm_tra_dark-fluid', time: '081200', attrs: { SequenceName: '*tir2d1_21', ScanningSequence: ['SE', 'IR'], MRAcquisitionType: '2D', RepetitionTime: 9000, EchoTime: 81, InversionTime: 2500 } },
  { uid: `${STUDY}.6`, number: 6, description: 'ep2d_diff_3scan_trace_p2', time: '081600', attrs: { SequenceName: '*ep_b1000t', ScanningSequence: ['EP'], DiffusionBValue: 1000 } },
  { uid: `${STUDY}.8`, number: 8, description: 'ep2d_perf', time: '082000', slices: 20, attrs: { SequenceName: '*epfid2d1_128', ScanningSequence: ['EP'], RepetitionTime: 1500, EchoTime: 32 } },
  { uid: `${STUDY}.9`, number: 9, description: 't1_mprage_sag_p2_iso', time: '082400', attrs: mprage },
];

interface JsonSeries {
  seriesInstanceUid: string;
  seriesNumber: number;
  seriesDescription: string;
  role: string;
  confidence: number;
  reasons: string[];
  selected: boolean;
}

describe('neuro-onc-node classify (child process on real DICOM files)', () => {
  let dir: string;
  let empty: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'classify-'));
    const files = writeSeriesFiles(dir, STUDY, SERIES);
    writeFileSync(join(dir, 'README.txt'), 'not a DICOM file\n');
    writeFileSync(join(dir, 'broken.dcm'), readFileSync(files[0]!).subarray(0, 300));
    empty = mkdtempSync(join(tmpdir(), 'classify-empty-'));
    writeFileSync(join(empty, 'notes.txt'), 'nothing here\n');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('--json prints the documented shape with roles, selection and missing roles; bad files are warnings', async () => {
    const { code, stdout, stderr } = await runCli(['classify', dir, '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { series: JsonSeries[]; missing: string[]; selected: Record<string, string> };
    expect(doc.series.map((s) => Object.keys(s))).toEqual(
      SERIES.map(() => ['seriesInstanceUid', 'seriesNumber', 'seriesDescription', 'role', 'confidence', 'reasons', 'selected']),
    );
    const role = Object.fromEntries(doc.series.map((s) => [s.seriesNumber, s.role]));
    expect(role).toEqual({ 1: 'other', 3: 't1', 4: 't2', 5: 'flair', 6: 'other', 8: 'other', 9: 't1ce' });
    expect(doc.missing).toEqual([]);
    expect(doc.selected).toEqual({ t1: `${STUDY}.3`, t1ce: `${STUDY}.9`, t2: `${STUDY}.4`, flair: `${STUDY}.5` });
    const post = doc.series.find((s) => s.seriesNumber === 9)!;
    expect(post.selected).toBe(true);
    expect(post.reasons.join('\n')).toMatch(/acquired after series 8 'ep2d_perf'/);
    expect(doc.series.find((s) => s.seriesNumber === 1)!.reasons[0]).toMatch(/localizer/);
    expect(stderr).toMatch(/skipping .*README\.txt: not-dicom/);
    expect(stderr).toMatch(/skipping .*broken\.dcm: (truncated|invalid)/);
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await runCli(['classify', join(dir, 'series-4'), join(dir, 'series-5')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^#\s+description\s+role\s+conf\s+sel\s+reason/m);
    expect(stdout).toMatch(/^4\s+t2_tse_tra_p2\s+t2\s+0\.\d\d\s+\*/m);
    expect(stdout).toMatch(/missing: t1, t1ce$/m);
  });

  it('applies site overrides from the config file, and rejects an invalid regex with exit code 2', async () => {
    const cfg = join(dir, 'site.yaml');
    writeFileSync(cfg, "seriesId:\n  overrides:\n    - pattern: '^t2_tse'\n      role: other\n");
    const ok = await runCli(['-c', cfg, 'classify', join(dir, 'series-4'), '--json']);
    const doc = JSON.parse(ok.stdout) as { series: JsonSeries[]; missing: string[] };
    expect(doc.series[0]!.role).toBe('other');
    expect(doc.series[0]!.reasons[0]).toMatch(/site override #0/);
    expect(doc.missing).toContain('t2');

    writeFileSync(cfg, "seriesId:\n  overrides:\n    - pattern: 't2_tse('\n      role: t2\n");
    const bad = await runCli(['-c', cfg, 'classify', join(dir, 'series-4'), '--json']);
    expect(bad.code).toBe(2);
    // The bad value is named by its path and its place in the file.
    expect(bad.stderr).toMatch(/seriesId\.overrides\.0\.pattern \(\S*site\.yaml:\d+:\d+\): invalid regular expression/);
    expect(bad.stdout).toBe('');
  });

  it('exits 2 with a clear message when no DICOM series is found', async () => {
    const { code, stdout, stderr } = await runCli(['classify', empty, join(empty, 'missing-folder'), '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ series: [], missing: [], selected: {} });
    expect(stderr).toMatch(/missing-folder: no such file or folder/);
    expect(stderr).toMatch(/no DICOM series found/);
  });
});
