/**
 * Artifacts in a job's work folder are checked when a later stage reads them: a damaged findings artifact fails
 * the encoding work permanently, naming the file and the field, instead of failing somewhere inside an encoder.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { writeArtifact } from '../../src/pipeline/artifacts';
import { encodeModel } from '../../src/pipeline/stage-work';
import { readFindings, readPipelineOutput } from '../../src/pipeline/stage-outputs';
import { AXIAL, syntheticCase, type SyntheticCase } from '../../src/testing/synthetic-findings';

const small = (): SyntheticCase =>
  syntheticCase({ grid: { columns: 12, rows: 10, slices: 6, spacing: [1, 1, 3], ...AXIAL, origin: [-6, -5, 10] }, key: 'artifact-check' });

describe('stage artifacts read back from disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'artifact-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a findings artifact round-trips through its schema unchanged', async () => {
    const { findings } = small();
    await writeArtifact(dir, 'findings-m', findings);
    expect(await readFindings(dir, 'findings-m')).toEqual(findings);
  });

  it('a damaged findings artifact fails the encoding work permanently, naming the file and the field', async () => {
    const { findings, header } = small();
    await writeArtifact(dir, 'findings-m', findings);
    const file = join(dir, 'findings-m.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { referenceSeries: { sources: Array<{ imagePositionPatient: unknown }> } };
    json.referenceSeries.sources[0]!.imagePositionPatient = 'x';
    writeFileSync(file, JSON.stringify(json));
    const cfg = parseConfig({});
    const err = await encodeModel({ model: 'm', workDir: dir, artifact: 'findings-m', header, predecessors: [], createdAt: 0 }, cfg).catch((e: unknown) => e);
    expect(err).toMatchObject({ permanent: true, reason: 'bad-artifact', file });
    expect((err as Error).message).toMatch(/findings-m\.json does not hold what this node expects: referenceSeries\.sources\.0\.imagePositionPatient: /);
  });

  it('the execution provider in a findings artifact is one the node knows (webgpu included); another is refused by name', async () => {
    const { findings } = small();
    const onGpu = { ...findings, model: { ...findings.model, executionProvider: 'webgpu' } };
    await writeArtifact(dir, 'findings-m', onGpu);
    expect((await readFindings(dir, 'findings-m')).model.executionProvider).toBe('webgpu');
    await writeArtifact(dir, 'findings-m', { ...findings, model: { ...findings.model, executionProvider: 'opencl' } });
    await expect(readFindings(dir, 'findings-m')).rejects.toThrow(/model\.executionProvider: /);
  });

  it('a pipeline stage output another node wrote without the pipeline reads as absent, a damaged one as an error', async () => {
    const jobDir = join(dir, 'job');
    const jobs = { jobDir: () => jobDir, readOutput: async () => ({ stage: 'inferring' as const, attempt: 1, finishedAt: 0, output: { passThrough: true } as unknown }) };
    expect(await readPipelineOutput(jobs, 1, 'inferring')).toBeUndefined();
    jobs.readOutput = async () => ({ stage: 'inferring', attempt: 1, finishedAt: 0, output: { models: [{ model: 'm' }], notRun: [] } });
    await expect(readPipelineOutput(jobs, 1, 'inferring')).rejects.toThrow(/inferring\.json does not hold what this node expects: output\.models\.0\.artifact: /);
  });
});
