/**
 * The UI's pure parts on fixed inputs: escaping, per-stage status, the patient wording for decided and undecided
 * heads (the tiny test model in browser.test.ts decides nothing), the result page on hostile text, the key image
 * PNG and the result-file lookup. Findings come from the encoders' synthetic case (src/testing).
 */
import { inflateSync } from 'node:zlib';
import type { Findings } from '../../src/ai/findings';
import type { HeadKind } from '../../src/ai/manifest';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';
import type { JobRecord, StageRun } from '../../src/jobs/types';
import type { EncodeOutput } from '../../src/pipeline/stages';
import { stageCells } from '../../src/web/ui/dashboard-data';
import { escapeHtml, html, raw } from '../../src/web/ui/html';
import { findResultFile, type JobResults } from '../../src/web/ui/job-results';
import { keyImagePng } from '../../src/web/ui/key-image';
import { renderPatientPage } from '../../src/web/ui/patient-page';
import { chanceWords, plainKind, sizeComparison, sureWords } from '../../src/encoders/narrative/plain-language';
import { patientContextOf, renderResultPage, stackWidths, withHeadTitles } from '../../src/web/ui/result-page';
import { certaintyOf } from '../../src/web/ui/patient-page';
import { MAX_AXIS, parseViewerData, patientAxes, viewerData } from '../../src/web/ui/viewer-data';
import { ohifLink } from '../../src/config/sections/ui-pages';
import { parseConfig } from '../../src/config/load';
import { SURVIVAL_STATEMENT, syntheticSurvival } from '../../src/testing/synthetic-survival';

const NODE = { name: 'test-node', version: '9.9.9' };
const grid = { columns: 40, rows: 36, slices: 14, spacing: [1, 1, 3] as [number, number, number], origin: [-20, -18, -20] as [number, number, number], ...AXIAL };

function job(over: Partial<JobRecord> = {}): JobRecord {
  return { id: 7, studyInstanceUid: '1.2.3.4.5', generation: 1, state: 'done', attempts: 0, maxAttempts: 3, priority: 2, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_100_000, ...over };
}

function results(findings: Findings | undefined, over: Partial<JobResults> = {}): JobResults {
  return {
    job: job({ studyInstanceUid: findings?.studyInstanceUid ?? '1.2.3.4.5' }),
    models: findings ? [{ model: findings.model.name, findings }] : [],
    files: [],
    delivery: [],
    supersedes: [],
    analysedAt: 1_700_000_050_000,
    ...over,
  };
}

function visibleText(page: string): string {
  return page
    .replace(/<head>[\s\S]*<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('html template', () => {
  it('escapes interpolations, keeps nested templates and raw constants', () => {
    const evil = `<img src=x onerror="alert('x')">&`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe('<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</p>');
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>');
    expect(html`${raw('<br>')}${null}${undefined}${false}${0}`.value).toBe('<br>0');
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;');
  });
});

describe('stage cells', () => {
  const run = (stage: StageRun['stage'], status: StageRun['status'], id: number): StageRun => ({ id, jobId: 7, stage, attempt: 1, startedAt: 1000, finishedAt: 3000, status });

  it('a job waiting to retry inferring: earlier stages done, inferring retrying with the error, later ones pending', () => {
    const cells = stageCells(
      job({ state: 'inferring', attempts: 1, nextAttemptAt: 10_000, lastError: { stage: 'inferring', message: 'out of memory', at: 4000, attempt: 1 } }),
      [run('identifying', 'ok', 1), run('preprocessing', 'ok', 2), run('inferring', 'error', 3)],
      5000,
    );
    expect(cells.map((c) => c.status)).toEqual(['done', 'done', 'retrying', 'pending', 'pending']);
    expect(cells[2]!.detail).toBe('attempt 1 of 3 failed: out of memory; next try in 5.0 s');
    expect(cells[0]!.detail).toBe('took 2.0 s');
  });

  it('a failed job marks the failing stage; a superseded one shows what it finished', () => {
    const failed = stageCells(job({ state: 'failed', lastError: { stage: 'encoding', message: 'preflight', at: 1, attempt: 1 } }), [run('identifying', 'ok', 1), run('preprocessing', 'ok', 2), run('inferring', 'ok', 3), run('encoding', 'error', 4)], 5000);
    expect(failed.map((c) => c.status)).toEqual(['done', 'done', 'done', 'failed', 'pending']);
    const superseded = stageCells(job({ state: 'superseded', supersededBy: 9 }), [run('identifying', 'ok', 1), run('preprocessing', 'aborted', 2)], 5000);
    expect(superseded.map((c) => c.status)).toEqual(['done', 'interrupted', 'skipped', 'skipped', 'skipped']);
    expect(superseded[2]!.detail).toBe('superseded by job 9');
    expect(stageCells(job({ state: 'ready' }), [], 0).every((c) => c.status === 'pending')).toBe(true);
  });
});

describe('plain language', () => {
  it('words chances without claiming certainty', () => {
    expect([0, 0.04, 0.05, 0.83, 0.94, 0.96, 1].map(chanceWords)).toEqual([
      'less than 1 in 10', 'less than 1 in 10', 'about 1 in 10', 'about 8 in 10', 'about 9 in 10', 'more than 9 in 10', 'more than 9 in 10',
    ]);
    expect([0.9, 0.7, 0.5].map(sureWords)).toEqual(['fairly sure', 'somewhat sure', 'unsure']);
    expect([1, 5, 16, 40, 70, 150, 400].map(sizeComparison)).toEqual([
      'smaller than half a teaspoon', 'about a teaspoonful', 'about a tablespoonful', 'about the size of a golf ball', 'about the size of a hen\'s egg', 'about the size of a tennis ball', 'larger than a tennis ball',
    ]);
  });

  it('words a head by the kind its manifest declares, whatever its id, and leaves generic heads alone', () => {
    const h = (head: string, kind: HeadKind, classes: string[]): Parameters<typeof plainKind>[0] => ({ head, kind, title: head, classes: classes.map((name) => ({ name, probability: 0.5 })), predicted: classes[0]!, confidence: 0.5, uncertainty: { entropy: 0, normalisedEntropy: 0 }, indeterminate: false, temperature: 1 });
    expect(plainKind(h('idh', 'idh', ['wildtype', 'mutant']))).toBe('idh');
    expect(plainKind(h('idh_status', 'idh', ['wildtype', 'mutant']))).toBe('idh');
    expect(plainKind(h('egfr', 'egfr', ['wildtype', 'mutant']))).toBe('egfr');
    expect(plainKind(h('grade', 'lgg_hgg', ['LGG', 'HGG']))).toBe('lgg_hgg');
    expect(plainKind(h('grade', 'who_grade', ['2', '3', '4']))).toBe('grade');
    expect(plainKind(h('tumour_type', 'histology', ['astrocytoma', 'glioblastoma']))).toBe('histology');
    expect(plainKind(h('ki67', 'generic', ['low', 'high']))).toBeUndefined();
    // The id alone says nothing: a generic head called "idh_like" gets no IDH wording.
    expect(plainKind(h('idh_like', 'generic', ['wildtype', 'mutant']))).toBeUndefined();
  });
});

describe('patient page', () => {
  const { findings } = syntheticCase({ grid, key: 'ui-patient' });

  it('gives each decided head its answer and chance in words with the research caveat in the same sentence, and says when it could not decide', () => {
    const text = visibleText(renderPatientPage(results(findings), NODE));
    const research = 'The best guess of this research program, which learned only from computer-made pictures and does not give a diagnosis:';
    const caveat = ', but overall it is not very sure about this scan (see “How sure is the program?” below).';
    expect(text).toContain(`${research} this change is probably not there . It gives this answer a chance of about 8 in 10${caveat}`);
    expect(text).toContain(`${research} these pieces are probably not missing . It gives this answer a chance of about 9 in 10${caveat}`);
    expect(text).toContain(`${research} a fast-growing tumour (grade 4) . It gives this answer a chance of about 6 in 10${caveat}`);
    expect(text).toContain('What kind of brain cells the tumour may have grown from The program could not decide about this.');
    expect(text).toContain('The chances above come from a program that has only been tested on computer-made pictures');
    expect(text).toContain('Reference for your care team: job 7.');
    expect(text).not.toMatch(/\d\s*%/);
    expect(text).not.toMatch(/\d+(\.\d+){3,}/);
    for (const jargon of ['IDH', '1p/19q', 'WHO', 'wildtype', 'glioma-mtl', 'probability', 'entropy', 'FLAIR']) expect(text).not.toContain(jargon);
  });

  it('states one certainty for the whole page: the least certain of the case summary and every decided head', () => {
    // The case summary says "moderate", but the grade head gives its answer only 6 in 10: the page says "not very sure" everywhere.
    expect(certaintyOf(findings)).toEqual({ level: 'high', words: 'not very sure' });
    const text = visibleText(renderPatientPage(results(findings), NODE));
    const sureness = text.match(/\b(fairly sure|somewhat sure|only moderately sure|not very sure|unsure)\b/g) ?? [];
    expect(sureness.length).toBeGreaterThanOrEqual(4);
    expect(new Set(sureness)).toEqual(new Set(['not very sure']));
    // Everything confident and a low case uncertainty: "fairly sure", and no caveat on the guesses.
    const confident = { ...findings, uncertaintySummary: { ...findings.uncertaintySummary, level: 'low' as const }, heads: findings.heads.map((h) => ({ ...h, confidence: 0.93, indeterminate: false, predicted: h.classes[0]!.name })) };
    expect(certaintyOf(confident).words).toBe('fairly sure');
    const calm = visibleText(renderPatientPage(results(confident), NODE));
    expect(new Set(calm.match(/\b(fairly sure|somewhat sure|only moderately sure|not very sure|unsure)\b/g))).toEqual(new Set(['fairly sure']));
    expect(calm).not.toContain('but overall');
    // An indeterminate head does not lower the certainty of the others (it says "could not decide" instead).
    expect(certaintyOf({ ...confident, heads: [...confident.heads, { ...findings.heads[3]! }] }).level).toBe('low');
  });

  it('shows a picture: the key image, with a caption that says it is the program’s outline', () => {
    const page = renderPatientPage(results(findings), NODE);
    expect(page).toContain('src="/ui/jobs/7/key-image.png?model=glioma-mtl"');
    expect(visibleText(page)).toContain('The coloured area is the program’s outline, not a doctor’s.');
    const none = syntheticCase({ grid, key: 'ui-none', labelmap: new Uint8Array(grid.columns * grid.rows * grid.slices) }).findings;
    expect(renderPatientPage(results(none), NODE)).not.toContain('key-image.png');
  });

  it('says which pictures were missing and when nothing was outlined', () => {
    const partial = syntheticCase({ grid, key: 'ui-partial', roles: ['flair', 't2'], labelmap: new Uint8Array(grid.columns * grid.rows * grid.slices) }).findings;
    const text = visibleText(renderPatientPage(results(partial), NODE));
    expect(text).toContain('used two kinds of pictures');
    expect(text).toContain('Two kinds of pictures that are usually taken were not available.');
    expect(text).toContain('The program did not outline any area that it would call a tumour. This does not prove that there is no tumour');
  });

  it('when the segmentation was withheld, both pages say so instead of showing volumes', () => {
    const { findings: f } = syntheticCase({ grid, key: 'ui-withheld', roles: ['t1', 't1ce', 't2'] });
    const reason = 'segmentation withheld: FLAIR missing; glioma-mtl segments reliably only with T1+T2+FLAIR or T1+T1ce+FLAIR (model card); the classification results below are reported';
    const { segmentation: _dropped, ...rest } = f;
    const withheld = { ...rest, regions: [], segmentationWithheld: { missing: ['flair' as const], requires: [['t1' as const, 't2' as const, 'flair' as const]], reason }, warnings: [reason] };
    const patient = visibleText(renderPatientPage(results(withheld), NODE));
    expect(patient).toContain('The program did not outline any area on this scan, because a kind of picture it needs to do that reliably was not available.');
    expect(patient).not.toContain('FLAIR');
    const page = renderResultPage(results(withheld), NODE);
    expect(page).toContain('data-withheld>Segmentation withheld: FLAIR missing; glioma-mtl segments reliably only with T1+T2+FLAIR or T1+T1ce+FLAIR');
    expect(page).not.toContain('key-image.png');
  });

  it('a job whose study was deleted (retention) says so and where the results are', () => {
    const { findings: f } = syntheticCase({ grid, key: 'ui-deleted' });
    const r = { ...results(f), models: [{ model: 'glioma-mtl', error: 'the findings of glioma-mtl were deleted from the node on 2026-12-01; the delivered SEG and SR are in the PACS' }], deleted: { at: Date.UTC(2026, 11, 1), note: 'study deleted from the node (node.retention.days = 14): 6 instance(s) and the work folder removed; results were delivered to the destinations' } };
    const page = renderResultPage(r, NODE);
    expect(page).toContain("data-deleted>The study's images and this job's result files were deleted from the node on 2026-12-01 (node.retention.days = 14). The results were delivered; open them in the PACS.");
    expect(page).toContain('were deleted from the node on 2026-12-01; the delivered SEG and SR are in the PACS');
  });

  it('without findings it says there is no result yet', () => {
    const text = visibleText(renderPatientPage(results(undefined, { job: job({ state: 'failed' }) }), NODE));
    expect(text).toContain('There is no result to show yet. The program could not finish its analysis.');
    expect(text).toContain('For research only.');
  });
});

describe('result page', () => {
  it('shows Findings values and escapes hostile header and error text', () => {
    const { findings } = syntheticCase({ grid, key: 'ui-result' });
    const evil = '<script>alert(1)</script>';
    const r = results(findings, {
      job: job({ studyInstanceUid: findings.studyInstanceUid, state: 'failed', lastError: { stage: 'delivering', message: `refused ${evil}`, at: 1, attempt: 1 } }),
      identify: {
        selected: { flair: '1.2.3' },
        missing: [],
        series: [{ seriesInstanceUid: '1.2.3', seriesNumber: 6, seriesDescription: `AX FLAIR ${evil}`, role: 'flair', confidence: 0.93, selected: true, reasons: [`description ${evil}`] }],
        routed: ['glioma-mtl'],
        skipped: [],
        unreadable: [],
      },
    });
    const page = renderResultPage(r, NODE);
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('AX FLAIR &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/<script(?! src="\/ui\/assets\/)/);
    expect(page).not.toMatch(/ style=/); // the CSP blocks inline styles
    const wt = findings.regions.find((x) => x.key === 'WT')!;
    expect(page).toContain(`data-volume-ml="${wt.volumeMl.toFixed(1)}"`);
    const b = findings.bidimensional!;
    expect(page).toContain(`<p data-bidimensional>Bidimensional (RANO-style, Enhancing tumour, slice ${b.slice + 1} of the display series): <strong>${b.long.lengthMm.toFixed(1)} × ${b.short.lengthMm.toFixed(1)} mm</strong>`);
    expect(page).toContain('Glioblastoma, IDH-wildtype, CNS WHO grade 4</p>');
    expect(page).toContain('a'.repeat(64));
    expect(page).toContain('AUTOMATED ANALYSIS - RESEARCH USE ONLY');
    expect(page).toContain('This job failed');
    expect(page).toContain('key-image.png?model=glioma-mtl');
  });
});

describe('result page: patient context, OHIF link, volume bar, importance heatmap', () => {
  const { findings } = syntheticCase({ grid, key: 'ui-context' });
  const patient = patientContextOf({ patientName: 'Doe^Jane^^Dr', patientId: 'PID-0042', accessionNumber: 'ACC-77', studyDate: '20260103' });

  it('formats the store record for the reader', () => {
    expect(patient).toEqual({ name: 'Doe, Dr Jane', id: 'PID-0042', accession: 'ACC-77', studyDate: '2026-01-03' });
    expect(patientContextOf({ patientName: 'Solo', patientId: '', accessionNumber: '', studyDate: '' }).name).toBe('Solo');
  });

  it('shows the patient at the top, the OHIF link when configured, the patient page link only when enabled', () => {
    const ohif = ohifLink('https://ohif.example.org/viewer?StudyInstanceUIDs={studyInstanceUid}', findings.studyInstanceUid)!;
    const page = renderResultPage(results(findings), NODE, { patient, ohifUrl: ohif, patientPage: false });
    const main = page.slice(page.indexOf('<main>'));
    expect(main.indexOf('data-patient-context')).toBeLessThan(main.indexOf('<h1>'));
    expect(page).toContain('<dd data-patient-name>Doe, Dr Jane</dd>');
    expect(page).toContain('<dd data-patient-id>PID-0042</dd>');
    expect(page).toContain('<dd data-accession>ACC-77</dd>');
    expect(page).toContain('<dd data-study-date>2026-01-03</dd>');
    expect(page).toContain(`href="https://ohif.example.org/viewer?StudyInstanceUIDs=${findings.studyInstanceUid}" data-ohif`);
    expect(page).not.toContain('/patient"');
    const plain = renderResultPage(results(findings), NODE, { patientPage: true });
    expect(plain).not.toContain('data-ohif');
    expect(plain).toContain('href="/ui/jobs/7/patient"');
    expect(plain).toContain('no longer holds this study’s record');
    expect(plain).toContain('<script src="/ui/assets/viewer.js" defer></script>');
    expect(plain).toContain('data-viewer="/ui/jobs/7/viewer-data?model=glioma-mtl"');
    expect(plain).not.toMatch(/ style=/);
  });

  it('draws NCR / ED / ET as a stacked bar whose widths add up to 100%', () => {
    expect(stackWidths([1, 1, 1])).toEqual([34, 33, 33]);
    expect(stackWidths([0, 0, 0])).toEqual([0, 0, 0]);
    expect(stackWidths([0.2, 10, 2.3]).reduce((a, b) => a + b)).toBe(100);
    const page = renderResultPage(results(findings), NODE);
    const parts = [...page.matchAll(/<span class="c-(NCR|ED|ET) p(\d+)" data-stack/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(parts.map((p) => p[0])).toEqual(['NCR', 'ED', 'ET']);
    const vol = (k: string): number => findings.regions.find((r) => r.key === k)!.volumeMl;
    expect(parts.map((p) => p[1])).toEqual(stackWidths([vol('NCR'), vol('ED'), vol('ET')]));
  });

  it('shows modality importance as a heatmap with the heads’ titles, not their ids', () => {
    const page = renderResultPage(results(findings), NODE);
    const heat = page.slice(page.indexOf('data-heatmap'), page.indexOf('</table>', page.indexOf('data-heatmap')));
    for (const id of ['idh', 'grade']) expect(heat).toContain(`<th data-head-title="${id}">${findings.heads.find((h) => h.head === id)!.title}</th>`);
    expect(heat).toContain('<td class="heat h4 num">+0.21</td>');
    expect(heat).toContain('<td class="heat h3 num">+0.12</td>');
    expect(heat).toContain('<th scope="row">FLAIR</th>');
    expect(withHeadTitles(findings, 'indeterminate heads: idh, histology')).toBe(`indeterminate: ${findings.heads.find((h) => h.head === 'idh')!.title}, Histological type`);
    expect(withHeadTitles(findings, 'grade 4 is likely')).toBe('grade 4 is likely');
  });
});

describe('viewer data', () => {
  it('turns the display series onto patient axes with its label map, windowed to 8 bits, and the bidimensional measurement on its slice', () => {
    const { findings } = syntheticCase({ grid: { ...grid, descending: true }, key: 'ui-viewer' });
    const axes = patientAxes(findings.referenceSeries.affine);
    expect(axes.map((a) => a.axis)).toEqual([0, 1, 2]);
    expect(axes[2]!.flip).toBe(true); // slices stored head-to-foot are shown foot-to-head
    const { header, voxels, labels } = parseViewerData(viewerData(findings)!);
    expect(header.dims).toEqual([grid.columns, grid.rows, grid.slices]);
    expect(header.step).toEqual([1, 1, 1]);
    const [c, r, n] = [grid.columns, grid.rows, grid.slices];
    const src = findings.segmentation!.labelmap.data;
    let same = 0;
    for (let k = 0; k < n; k++) for (let i = 0; i < c * r; i++) if (labels[(n - 1 - k) * c * r + i] === src[k * c * r + i]) same++;
    expect(same).toBe(c * r * n);
    expect(Math.max(...voxels)).toBe(255);
    expect(header.labels.map((l) => l.key)).toEqual(['NCR', 'ED', 'ET']);
    const b = findings.bidimensional!;
    expect(header.bidimensional!.long[0]).toEqual([b.long.from[0], b.long.from[1], n - 1 - b.slice]);
    expect(header.focus[2]).toBe(n - 1 - b.slice);
    expect(viewerData({ ...findings, segmentation: undefined })).toBeUndefined();
  });

  it('subsamples an axis longer than 256 voxels', () => {
    const wide = { ...grid, columns: 300, rows: 20, slices: 4 };
    const { findings } = syntheticCase({ grid: wide, key: 'ui-wide' });
    const { header } = parseViewerData(viewerData(findings)!);
    expect(header.step).toEqual([2, 1, 1]);
    expect(header.dims).toEqual([150, 20, 4]);
    expect(header.spacing[0]).toBe(2);
    expect(Math.max(...header.dims)).toBeLessThanOrEqual(MAX_AXIS);
  });
});

describe('survival head', () => {
  const { findings } = syntheticCase({ grid, key: 'ui-survival' });
  const withSurvival = (s = syntheticSurvival()): Findings => ({ ...findings, survival: [s] });

  it('the result page shows S at 1, 2 and 5 years with the TTA spread, the risk group, the age used and the statement', () => {
    const page = renderResultPage(results(withSurvival()), NODE);
    const text = visibleText(page);
    expect(page).toContain('data-survival="survival"');
    expect(text).toContain('Overall survival (population statistics, not a prediction for this patient)');
    expect(text).toContain('1 year 78% 2.1% 75%–81%');
    expect(text).toContain('2 years 51% 3.4% 47%–56%');
    expect(text).toContain('5 years 20% 2.8% 17%–24%');
    expect(text).toContain('Risk group: intermediate (mean survival at 2 years 51%)');
    expect(text).toContain('Age used: 54 years (PatientAge)');
    expect(text).toContain(`Synthetic outcomes; population figures. ${SURVIVAL_STATEMENT}`);
    // The clinician narrative on the page carries the same figures and the statement.
    expect(text).toContain('Overall survival (synthetic outcomes, population statistics, not a prediction for this patient): survival at 1 year 78% (TTA range 75%-81%, SD 2%)');
    // Without survival heads nothing is shown.
    expect(renderResultPage(results(findings), NODE)).not.toContain('data-survival');
  });

  it('the result page says why survival is not assessable, with the statement', () => {
    const text = visibleText(renderResultPage(results(withSurvival(syntheticSurvival('not-assessable'))), NODE));
    expect(text).toContain('Not assessable: patient age unknown: no PatientAge, PatientBirthDate/StudyDate');
    expect(text).toContain(SURVIVAL_STATEMENT);
  });

  it('the patient page hides survival unless the site enables it, then words it for groups, never as a prediction', () => {
    const off = renderPatientPage(results(withSurvival()), NODE);
    expect(off).not.toContain('data-survival');
    expect(visibleText(off)).not.toMatch(/surviv|alive/i);
    const on = renderPatientPage(results(withSurvival()), NODE, { survival: true });
    const text = visibleText(on);
    expect(on).toContain('data-survival="survival"');
    expect(text).toContain('These numbers are not a prediction for you.');
    expect(text).toContain('After 1 year: about 78 out of 100 people in such a group were alive.');
    expect(text).toContain('After 5 years: about 20 out of 100 people in such a group were alive.');
    expect(text).toContain('computer-made (synthetic) records');
    expect(text).toContain(SURVIVAL_STATEMENT);
    expect(text).toContain('the survival figures above describe groups of people: they do not say what will happen to you');
    expect(text).not.toMatch(/\d\s*%/);
    for (const jargon of ['hazard', 'TTA', 'risk group', 'intermediate']) expect(text).not.toContain(jargon);
    const unknownAge = visibleText(renderPatientPage(results(withSurvival(syntheticSurvival('not-assessable'))), NODE, { survival: true }));
    expect(unknownAge).toContain('The program could not give these figures, because your age was not recorded with the scan.');
    // Not applicable (no tumour): nothing to say on the patient page.
    expect(renderPatientPage(results(withSurvival(syntheticSurvival('not-applicable'))), NODE, { survival: true })).not.toContain('data-survival');
  });
});

describe('http.pages settings', () => {
  it('patient page off by default; an OHIF template must carry {studyInstanceUid}', () => {
    expect(parseConfig({}).http.pages).toEqual({ patientPage: false, patientSurvival: false });
    expect(parseConfig({ http: { pages: { patientSurvival: true } } }).http.pages.patientSurvival).toBe(true);
    expect(parseConfig({ http: { pages: { ohifUrl: 'https://o.example.org/viewer?StudyInstanceUIDs={studyInstanceUid}', patientPage: true } } }).http.pages.patientPage).toBe(true);
    expect(() => parseConfig({ http: { pages: { ohifUrl: 'https://o.example.org/viewer' } } })).toThrow(/studyInstanceUid/);
    expect(ohifLink('https://o.example.org/v?s={studyInstanceUid}&x={studyInstanceUid}', '1.2 3')).toBe('https://o.example.org/v?s=1.2%203&x=1.2%203');
    expect(ohifLink(undefined, '1.2')).toBeUndefined();
  });
});

describe('result page without T1ce', () => {
  it('says enhancement is not assessable instead of a volume', () => {
    const { findings } = syntheticCase({ grid, key: 'ui-no-t1ce' });
    const page = renderResultPage(results({ ...findings, missingModalities: ['t1ce'] }), NODE);
    expect(page).toContain('<tr data-region="ET" data-not-assessable>');
    expect(page).toContain('not assessable: no T1ce series: enhancement cannot be assessed');
    expect(page).not.toMatch(/data-region="ET"><td>[^]*?data-volume-ml/);
    expect(page).toContain('<p data-bidimensional>Bidimensional (RANO-style, Enhancing tumour): not assessable');
    // No NCR/ED/ET bar that would draw the not-assessable parts as zero, and no measurement in the viewer.
    expect(page).not.toContain('data-volume-bar ');
    expect(page).not.toContain('data-stack=');
    expect(page).toContain('data-volume-bar-withheld');
    expect(parseViewerData(viewerData({ ...findings, missingModalities: ['t1ce'] })!).header.bidimensional).toBeUndefined();
  });
});

describe('key image', () => {
  it('is a PNG of the slice with the largest segmented area', () => {
    const { findings } = syntheticCase({ grid, key: 'ui-key' });
    const img = keyImagePng(findings)!;
    const frame = grid.columns * grid.rows;
    const counts = Array.from({ length: grid.slices }, (_, k) => findings.segmentation!.labelmap.data.subarray(k * frame, (k + 1) * frame).filter((v) => v > 0).length);
    expect(img.slice).toBe(counts.indexOf(Math.max(...counts)));
    expect(img.tumourVoxels).toBe(Math.max(...counts));
    const png = img.png;
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width % grid.columns).toBe(0);
    // IDAT inflates to height rows of (1 filter byte + 3 bytes per pixel).
    const idatLength = png.readUInt32BE(33);
    expect(inflateSync(png.subarray(41, 41 + idatLength)).length).toBe(height * (1 + width * 3));
    expect(keyImagePng({ ...findings, segmentation: undefined })).toBeUndefined();
  });
});

describe('result file lookup', () => {
  const object = (sop: string, path: string): EncodeOutput['objects'][number] => ({ model: 'm', kind: 'seg', sopClassUid: '1.2.840.10008.5.1.4.1.1.66.4', sopInstanceUid: sop, seriesInstanceUid: '1.2', studyInstanceUid: '1.2.3', path });
  const encode: EncodeOutput = {
    objects: [object('1.2.3.1', '/data/jobs/4/work/out/m/seg.dcm'), object('1.2.3.2', '/data/jobs/4/work/out/../../../../etc/passwd'), object('1.2.3.3', '/data/jobs/4/work/outside.dcm')],
    notes: [],
    narrativeSource: 'template',
  };
  it('finds only objects of the encoding output that lie inside the job out folder', () => {
    expect(findResultFile(encode, '/data/jobs/4/work/out', '1.2.3.1')).toEqual({ path: '/data/jobs/4/work/out/m/seg.dcm', model: 'm', kind: 'seg' });
    expect(findResultFile(encode, '/data/jobs/4/work/out', '1.2.3.2')).toBeUndefined();
    expect(findResultFile(encode, '/data/jobs/4/work/out', '1.2.3.3')).toBeUndefined();
    expect(findResultFile(encode, '/data/jobs/4/work/out', '1.2.3.9')).toBeUndefined();
    expect(findResultFile(encode, '/data/jobs/5/work/out', '1.2.3.1')).toBeUndefined();
    expect(findResultFile(undefined, '/data/jobs/4/work/out', '1.2.3.1')).toBeUndefined();
  });
});

describe('tumour-free result', () => {
  it('the result page says no tumour was detected and that the heads are not applicable, instead of "no layered diagnosis"', () => {
    const { findings: f } = syntheticCase({ grid, key: 'ui-free', labelmap: new Uint8Array(grid.columns * grid.rows * grid.slices) });
    const free = { ...f, heads: [], diagnosis: undefined, regions: f.regions.map((r) => ({ ...r, voxelCount: 0, volumeMl: 0 })), noTumourDetected: { headsNotApplicable: f.heads.map((h) => ({ head: h.head, kind: h.kind, title: h.title })) } };
    const page = renderResultPage(results(free), NODE);
    expect(page).toContain('data-no-tumour>No tumour detected: nothing was segmented, so no diagnosis is given and IDH mutation status');
    expect(page).not.toContain('This model gives no layered diagnosis');
    expect(visibleText(renderPatientPage(results(free), NODE))).toContain('This does not prove that there is no tumour');
  });
});
