/**
 * The conformance check `npm test` runs on every produced object (and `neuro-onc-node check <files>` runs on any
 * files): our structural checks + the reader rules (SR) + dciodvfy (zero errors required) + dsrdump/dcsrdump and
 * the UCUM validator for SR + dcentvfy across
 * sources and outputs. Give it the outputs together with their source images so references and geometry can be
 * resolved; without sources, unresolved references are warnings instead of errors.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { hasP10Magic, readP10, type NaturalDataset } from '../../dicom/p10';
import { outputKind, outputKindOf, type OutputKind } from '../output-kinds';
import { checkPatientStudyConsistency, type CheckContext, type Issue } from './structural-checks';
import { dciodvfy, dcentvfy, dcsrdump, dsrdump, ucumUnits } from './validators';

/** An output kind (output-kinds.ts), or 'source' for anything we do not write (the source images). */
export type ObjectKind = OutputKind | 'source';

export interface ObjectReport {
  file: string;
  kind: ObjectKind;
  sopClassUid: string;
  sopInstanceUid: string;
  issues: Issue[];
}

export interface ConformanceReport {
  /** True when no object and no set-level check has an error. */
  ok: boolean;
  objects: ObjectReport[];
  /** Checks across the set (dcentvfy, patient/study consistency). */
  setIssues: Issue[];
  errors: number;
  warnings: number;
  /** Files that are not DICOM Part 10 (no "DICM" magic: findings.json, report.txt ...), not checked. */
  skipped: string[];
}

export interface CheckOptions {
  /** Run dciodvfy/dsrdump/dcsrdump/dcentvfy (default true); false = structural checks only. */
  validators?: boolean;
}

export function kindOf(sopClassUid: string): ObjectKind {
  return outputKindOf(sopClassUid)?.kind ?? 'source';
}

/** Structural checks of one parsed object against the set. */
export function structuralIssues(kind: ObjectKind, ds: NaturalDataset, ctx: CheckContext): Issue[] {
  try {
    return structuralIssuesUnsafe(kind, ds, ctx);
  } catch (e) {
    return [{ severity: 'error', rule: `${kind}.unreadable`, message: `structural check failed: ${(e as Error).message}` }];
  }
}

function structuralIssuesUnsafe(kind: ObjectKind, ds: NaturalDataset, ctx: CheckContext): Issue[] {
  return kind === 'source' ? [] : outputKind(kind).check(ds, ctx);
}

function fileHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(bytes);
    return b.subarray(0, readSync(fd, b, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

export async function checkConformance(files: string[], opts: CheckOptions = {}): Promise<ConformanceReport> {
  const skipped: string[] = [];
  const dicomFiles = files.filter((file) => {
    // An output folder also holds findings.json and report.txt; a file with the magic that fails to parse is an error.
    const isDicom = hasP10Magic(fileHead(file, 132));
    if (!isDicom) skipped.push(file);
    return isDicom;
  });
  const parsed = dicomFiles.map((file) => {
    try {
      const { dataset } = readP10(readFileSync(file));
      return { file, ds: dataset, kind: kindOf(String(dataset.SOPClassUID)) };
    } catch (e) {
      return { file, ds: undefined, kind: 'source' as ObjectKind, error: (e as Error).message };
    }
  });
  const byUid = new Map<string, NaturalDataset>();
  for (const p of parsed) if (p.ds) byUid.set(String(p.ds.SOPInstanceUID), p.ds);
  const ctx: CheckContext = { byUid, sourcesProvided: parsed.some((p) => p.kind === 'source' && p.ds) };
  const validators = opts.validators !== false;

  const objects: ObjectReport[] = [];
  for (const p of parsed) {
    if (!p.ds) {
      objects.push({ file: p.file, kind: 'source', sopClassUid: '', sopInstanceUid: '', issues: [{ severity: 'error', rule: 'read', message: 'error' in p ? String(p.error) : 'unreadable' }] });
      continue;
    }
    if (p.kind === 'source') continue;
    const issues = structuralIssues(p.kind, p.ds, ctx);
    if (validators) {
      issues.push(...(await dciodvfy(p.file)));
      if (p.kind === 'sr') issues.push(...(await dsrdump(p.file)), ...(await dcsrdump(p.file)), ...ucumUnits(p.ds));
    }
    objects.push({ file: p.file, kind: p.kind, sopClassUid: String(p.ds.SOPClassUID), sopInstanceUid: String(p.ds.SOPInstanceUID), issues });
  }
  const readable = parsed.filter((p) => p.ds).map((p) => ({ name: basename(p.file), ds: p.ds! }));
  const setIssues = checkPatientStudyConsistency(readable);
  if (validators && readable.length > 1) setIssues.push(...(await dcentvfy(parsed.filter((p) => p.ds).map((p) => p.file))));
  const all = [...objects.flatMap((o) => o.issues), ...setIssues];
  const errors = all.filter((i) => i.severity === 'error').length;
  return { ok: errors === 0, objects, setIssues, errors, warnings: all.length - errors, skipped };
}

/** Human-readable report, one line per issue. */
export function formatReport(r: ConformanceReport): string {
  const lines: string[] = [];
  for (const o of r.objects) {
    const errs = o.issues.filter((i) => i.severity === 'error').length;
    lines.push(`${errs ? 'FAIL' : 'ok  '} ${o.kind.padEnd(4)} ${basename(o.file)} (${o.sopInstanceUid}): ${errs} error(s), ${o.issues.length - errs} warning(s)`);
    for (const i of o.issues) lines.push(`     ${i.severity === 'error' ? 'E' : 'W'} [${i.rule}] ${i.message}`);
  }
  if (r.skipped.length) lines.push(`skipped (not DICOM Part 10): ${r.skipped.map((f) => basename(f)).join(', ')}`);
  if (r.setIssues.length) lines.push('set:');
  for (const i of r.setIssues) lines.push(`     ${i.severity === 'error' ? 'E' : 'W'} [${i.rule}] ${i.message}`);
  lines.push(`${r.ok ? 'CONFORMANT' : 'NOT CONFORMANT'}: ${r.errors} error(s), ${r.warnings} warning(s) in ${r.objects.length} object(s)`);
  return lines.join('\n');
}
