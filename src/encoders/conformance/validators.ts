/**
 * Runs the external DICOM validators on files: dicom3tools `dciodvfy` (IOD/module/attribute rules), `dcentvfy`
 * (patient/study/series consistency across files), `dcsrdump` and DCMTK `dsrdump` (SR tree parses, relationship
 * constraints). Output lines are parsed into errors and warnings. Side effects: child processes only.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Issue } from './structural-checks';

export interface ToolRun {
  tool: string;
  code: number | null;
  output: string;
}

export function runTool(tool: string, args: string[], timeoutMs = 120000): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ tool, code: null, output: `cannot run ${tool}: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ tool, code, output });
    });
  });
}

/** dicom3tools style: "Error - ..." / "Warning - ..." lines. Identical findings are reported once with a count. */
export function parseDicom3toolsOutput(tool: string, output: string): Issue[] {
  const counts = new Map<string, { severity: 'error' | 'warning'; n: number }>();
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const m = /^(Error|Warning) - (.*)$/.exec(line);
    if (!m) continue;
    const severity = m[1] === 'Error' ? 'error' : 'warning';
    // dcentvfy repeats one finding per pair of files: count it once.
    const key = `${severity}|${m[2]!.replace(/ for file <[^>]*> versus <[^>]*>$/, ' (file pairs differ)')}`;
    const c = counts.get(key) ?? { severity, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  return [...counts].map(([key, c]) => ({
    severity: c.severity,
    rule: tool,
    message: key.slice(key.indexOf('|') + 1) + (c.n > 1 ? ` (x${c.n})` : ''),
  }));
}

export async function dciodvfy(file: string): Promise<Issue[]> {
  const r = await runTool('dciodvfy', [file]);
  const issues = parseDicom3toolsOutput('dciodvfy', r.output);
  if (r.code === null) issues.push({ severity: 'error', rule: 'dciodvfy', message: r.output });
  return issues;
}

export async function dcentvfy(files: string[]): Promise<Issue[]> {
  const r = await runTool('dcentvfy', files);
  const issues = parseDicom3toolsOutput('dcentvfy', r.output);
  if (r.code === null) issues.push({ severity: 'error', rule: 'dcentvfy', message: r.output });
  return issues;
}

/** DCMTK dsrdump: must parse the document without errors (it checks Comprehensive SR relationship constraints). */
export async function dsrdump(file: string): Promise<Issue[]> {
  const r = await runTool('dsrdump', [file]);
  const issues: Issue[] = [];
  for (const line of r.output.split('\n')) {
    const m = /^([EFW]): (.*)$/.exec(line.trim());
    if (m) issues.push({ severity: m[1] === 'W' ? 'warning' : 'error', rule: 'dsrdump', message: m[2]! });
  }
  if (r.code !== 0) issues.push({ severity: 'error', rule: 'dsrdump', message: `dsrdump exited with ${String(r.code)}` });
  return issues;
}

/** dicom3tools dcsrdump: a second, independent SR parser. */
export async function dcsrdump(file: string): Promise<Issue[]> {
  const r = await runTool('dcsrdump', [file]);
  const issues = parseDicom3toolsOutput('dcsrdump', r.output);
  if (r.code !== 0) issues.push({ severity: 'error', rule: 'dcsrdump', message: `dcsrdump exited with ${String(r.code)}` });
  return issues;
}

interface UcumValidator {
  validateUnitString(unit: string, suggest?: boolean): { status: string; msg?: string[] };
}

let ucum: UcumValidator | null | undefined;

/** The NLM UCUM validator (npm @lhncbc/ucum-lhc, a development dependency); null where it is not installed. */
function ucumValidator(): UcumValidator | null {
  if (ucum === undefined) {
    try {
      const pkg = createRequire(__filename)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumValidator } };
      ucum = pkg.UcumLhcUtils.getInstance();
    } catch {
      ucum = null;
    }
  }
  return ucum;
}

/**
 * Every measurement unit of an SR must be valid UCUM, in CodeValue (readers that look only at CodeValue see a
 * LongCodeValue unit as none).
 */
export function ucumUnits(sr: Record<string, unknown>): Issue[] {
  const v = ucumValidator();
  if (!v) return [{ severity: 'warning', rule: 'ucum', message: '@lhncbc/ucum-lhc is not installed: units not validated' }];
  const seen = new Map<string, Issue | null>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    for (const mv of [o.MeasuredValueSequence].flat()) {
      for (const u of [(mv as Record<string, unknown> | undefined)?.MeasurementUnitsCodeSequence].flat()) {
        if (!u || typeof u !== 'object') continue;
        const unit = u as Record<string, unknown>;
        const code = String(unit.CodeValue ?? unit.LongCodeValue ?? '');
        if (seen.has(code)) continue;
        let issue: Issue | null = null;
        if (unit.CodingSchemeDesignator !== 'UCUM') issue = { severity: 'error', rule: 'ucum', message: `unit ${code} is not in the UCUM scheme` };
        else if (unit.CodeValue == null) issue = { severity: 'error', rule: 'ucum', message: `unit ${code} is a LongCodeValue: readers of CodeValue see no unit` };
        else {
          const r = v.validateUnitString(code, false);
          if (r.status !== 'valid') issue = { severity: 'error', rule: 'ucum', message: `unit "${code}" is not valid UCUM (${(r.msg ?? []).join('; ') || r.status})` };
        }
        seen.set(code, issue);
      }
    }
    for (const [k, val] of Object.entries(o)) if (k !== 'MeasuredValueSequence' && typeof val === 'object') visit(val);
  };
  visit(sr);
  return [...seen.values()].filter((i): i is Issue => i !== null);
}
