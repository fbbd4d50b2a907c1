/**
 * The Debian `elastix` command line (5.x) as a peer of the WebAssembly engine, for agreement tests and the bench:
 * the same parameter maps, images written as NIfTI (ITK reads them back into LPS), transform read from
 * TransformParameters.N.txt and the final metric from elastix.log.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Volume } from '../imaging/volume';
import { encodeNifti } from '../synth/nifti-writer';
import { atSpacing, mapsFor, type RegisterOptions, type RegistrationResult } from './elastix-engine';
import { composedLinearTransform, parameterFileText, parseParameterFile } from './parameter-maps';

const run = promisify(execFile);

/** The CLI's version line ("elastix version: 5.0.1"), or undefined when it is not installed. */
export async function elastixCliVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('elastix', ['--version']);
    return /version:?\s*([\d.]+)/i.exec(stdout)?.[1] ?? stdout.trim();
  } catch {
    return undefined;
  }
}

function asFloat(v: Volume): Volume<Float32Array> {
  return { ...v, data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>) };
}

/** Registers like register() in elastix-engine, with the elastix program. Also returns elastix's final metric. */
export async function registerWithCli(fixed: Volume, moving: Volume, options: RegisterOptions = {}): Promise<RegistrationResult & { finalMetric?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'elastix-cli-'));
  try {
    const maps = mapsFor(options);
    const f = options.spacingMm ? atSpacing(fixed, options.spacingMm) : fixed;
    const m = options.spacingMm ? atSpacing(moving, options.spacingMm) : moving;
    writeFileSync(join(dir, 'fixed.nii'), encodeNifti(asFloat(f)));
    writeFileSync(join(dir, 'moving.nii'), encodeNifti(asFloat(m)));
    const params = maps.map((map, i) => {
      const p = join(dir, `p${i}.txt`);
      writeFileSync(p, parameterFileText(map));
      return p;
    });
    const t0 = Date.now();
    await run('elastix', ['-f', join(dir, 'fixed.nii'), '-m', join(dir, 'moving.nii'), ...params.flatMap((p) => ['-p', p]), '-out', dir, '-threads', '1'], { maxBuffer: 64 * 1024 * 1024 });
    const elapsedMs = Date.now() - t0;
    const out = maps.map((_, i) => parseParameterFile(readFileSync(join(dir, `TransformParameters.${i}.txt`), 'utf8')));
    const log = readFileSync(join(dir, 'elastix.log'), 'utf8');
    const metrics = [...log.matchAll(/Final metric value\s*=\s*(-?[\d.eE+-]+)/g)].map((x) => Number(x[1]));
    return {
      fixedToMoving: composedLinearTransform(out),
      transformParameterObject: out,
      nonLinear: out.some((x) => /BSpline/.test(x.Transform?.[0] ?? '')),
      engine: { name: 'elastix', implementation: 'elastix command line', version: (await elastixCliVersion()) ?? 'unknown' },
      elapsedMs,
      ...(metrics.length ? { finalMetric: metrics[metrics.length - 1]! } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
