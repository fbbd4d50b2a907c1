/**
 * Narratives: deterministic templates, and the optional LLM hook against a real local HTTP server that speaks the
 * OpenAI /v1/chat/completions shape (success, HTTP error, malformed reply, timeout, disabled).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { narrativeFor } from '../../src/encoders/narrative/llm';
import { clinicianNarrative, patientNarrative } from '../../src/encoders/narrative/templates';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';
import { SURVIVAL_STATEMENT, syntheticSurvival } from '../../src/testing/synthetic-survival';

const c = syntheticCase({ grid: { columns: 16, rows: 16, slices: 8, spacing: [1, 1, 2], ...AXIAL, origin: [0, 0, 0] }, key: 'narr' });

describe('templates', () => {
  test('clinician text: volumes, heads, diagnosis, uncertainty, provenance, research statement; deterministic', () => {
    const text = clinicianNarrative(c.findings);
    expect(text).toBe(clinicianNarrative(c.findings));
    const wt = c.findings.regions.find((r) => r.key === 'WT')!;
    expect(text).toContain(`Whole tumour (NCR + ED + ET) ${wt.volumeMl.toFixed(1)} mL`);
    expect(text).toContain('IDH mutation status: wildtype (83%)');
    expect(text).toContain('Histological type: indeterminate');
    expect(text).toContain('Glioblastoma, IDH-wildtype, CNS WHO grade 4 (58%)');
    expect(text).toContain('Overall uncertainty: moderate');
    expect(text).toContain('without FLAIR: idh +0.12');
    const b = c.findings.bidimensional!;
    expect(text).toContain(`Bidimensional (RANO-style, ${'Enhancing tumour'}, slice ${b.slice + 1} on T1ce (series 5)): ${b.long.lengthMm.toFixed(1)} x ${b.short.lengthMm.toFixed(1)} mm`);
    expect(text).toMatch(/^AUTOMATED ANALYSIS - RESEARCH USE ONLY/);
  });

  test('without T1ce, enhancement is "not assessable" with the reason, never a volume', () => {
    const text = clinicianNarrative({ ...c.findings, missingModalities: ['t1ce'] });
    expect(text).toContain('Enhancing tumour not assessable (no T1ce series: enhancement cannot be assessed)');
    expect(text).toContain('Tumour core (NCR + ET) not assessable (no T1ce series: enhancement cannot be assessed)');
    expect(text).toContain('Bidimensional (RANO-style, Enhancing tumour): not assessable');
    expect(text).not.toMatch(/Enhancing tumour [<\d]/);
  });

  test('survival: the clinician text gives S at each time with the TTA spread, the risk group, the age and the statement; not assessable says why', () => {
    const text = clinicianNarrative({ ...c.findings, survival: [syntheticSurvival()] });
    expect(text).toContain(
      'Overall survival (synthetic outcomes, population statistics, not a prediction for this patient): survival at 1 year 78% (TTA range 75%-81%, SD 2%); 2 years 51% (TTA range 47%-56%, SD 3%); 5 years 20% (TTA range 17%-24%, SD 3%); risk group intermediate (mean survival at 2 years 51%); age used 54 years.',
    );
    expect(text).toContain(SURVIVAL_STATEMENT);
    const one = { ...syntheticSurvival(), timePoints: syntheticSurvival().timePoints.map(({ months, probability }) => ({ months, probability })), uncertainty: { estimated: false, passes: 1, method: 'not estimated' } };
    expect(clinicianNarrative({ ...c.findings, survival: [one] })).toContain('5 years 20%; risk group intermediate (mean survival at 2 years 51%); uncertainty not estimated (no test-time augmentation); age used 54 years.');
    expect(clinicianNarrative({ ...c.findings, survival: [syntheticSurvival('not-assessable')] })).toContain(
      'Overall survival (synthetic outcomes, population statistics, not a prediction for this patient): not assessable (patient age unknown: no PatientAge, PatientBirthDate/StudyDate).',
    );
    // The patient narrative (SR, PDF) leaves survival to the patient page, where the site decides.
    expect(patientNarrative({ ...c.findings, survival: [syntheticSurvival()] })).not.toMatch(/surviv/i);
  });

  test('patient text: plain words, no raw probabilities, says what it is not', () => {
    const text = patientNarrative(c.findings);
    expect(text).toContain('It is not a diagnosis');
    expect(text).toContain('synthetic');
    expect(text).not.toMatch(/\d+%|0\.\d\d/);
    expect(text).toContain('could not decide'); // the indeterminate histology head
    expect(text).toMatch(/in 10\)/); // chances in words, not percentages
    const none = patientNarrative({ ...c.findings, regions: c.findings.regions.map((r) => ({ ...r, voxelCount: 0, volumeMl: 0 })) });
    expect(none).toContain('did not find an area');
  });
});

describe('LLM hook (local OpenAI-compatible server)', () => {
  let server: Server;
  let base: string;
  let mode: 'ok' | 'error' | 'garbage' | 'slow' = 'ok';
  const requests: Array<{ path: string; body: Record<string, unknown> }> = [];

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      let s = '';
      req.on('data', (d: Buffer) => (s += d.toString()));
      req.on('end', () => resolve(s));
    });
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        requests.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
        if (mode === 'error') return void res.writeHead(503).end('overloaded');
        if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 2000);
        const content =
          mode === 'garbage'
            ? 'Sure! Here is the report.'
            : 'Here you go: {"clinician": "LLM prose for doctors.", "patient": "LLM prose for the patient."}';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests.length = 0;
  });

  test('enabled and working: LLM prose, the template facts kept underneath, no PHI sent', async () => {
    mode = 'ok';
    const n = await narrativeFor(c.findings, { enabled: true, url: base, model: 'tiny-local' });
    expect(n.source).toBe('llm:tiny-local');
    expect(n.patient).toBe('LLM prose for the patient.');
    expect(n.clinician).toMatch(/^LLM prose for doctors\.\n\n--- Structured facts \(template\) ---\nAUTOMATED ANALYSIS/);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe('/v1/chat/completions');
    expect(requests[0]!.body.model).toBe('tiny-local');
    const sent = JSON.stringify(requests[0]!.body);
    expect(sent).not.toContain(c.header.PatientName);
    expect(sent).not.toContain(c.header.PatientID);
    expect(sent).not.toContain(c.findings.studyInstanceUid);
  });

  test.each([
    ['error', /HTTP 503/],
    ['garbage', /not JSON/],
  ] as const)('server answers %s: template used, reason given', async (m, reason) => {
    mode = m;
    const n = await narrativeFor(c.findings, { enabled: true, url: base });
    expect(n.source).toBe('template');
    expect(n.fallbackReason).toMatch(reason);
    expect(n.clinician).toBe(clinicianNarrative(c.findings));
  });

  test('timeout: template used', async () => {
    mode = 'slow';
    const n = await narrativeFor(c.findings, { enabled: true, url: `${base}/v1/chat/completions`, timeoutMs: 200 });
    expect(n.fallbackReason).toBe('LLM call failed: timed out');
  });

  test('disabled (the default): no request at all', async () => {
    const n = await narrativeFor(c.findings, { enabled: false, url: base });
    expect(n.source).toBe('template');
    expect(n.fallbackReason).toBeUndefined();
    expect(requests).toHaveLength(0);
  });
});
