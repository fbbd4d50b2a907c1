/**
 * Logging. JSON lines in production (NODE_ENV=production or LOG_FORMAT=json), readable text in a terminal.
 * Patient-identifying attributes never reach a log line: the `scrubPhi` format drops them from metadata
 * wherever they appear (UIDs are allowed; they are what an audit trail needs).
 */
import winston from 'winston';

/** Metadata keys that identify a patient. Compared case-insensitively, ignoring '_' and '-'. */
const PHI_KEYS = new Set(
  [
    'PatientName', 'PatientID', 'PatientBirthDate', 'PatientBirthTime', 'PatientSex', 'PatientAge',
    'PatientAddress', 'PatientTelephoneNumbers', 'OtherPatientIDs', 'OtherPatientNames', 'PatientMotherBirthName',
    'ReferringPhysicianName', 'PerformingPhysicianName', 'OperatorsName', 'InstitutionName', 'InstitutionAddress',
    'AccessionNumber', 'IssuerOfPatientID', 'EthnicGroup', 'PatientComments', 'MilitaryRank', 'MedicalRecordLocator',
    'name', 'patient', 'birthDate',
  ].map((k) => normaliseKey(k)),
);

function normaliseKey(k: string): string {
  return k.replace(/[_-]/g, '').toLowerCase();
}

/** Recursively removes PHI keys; exported for tests and for code that writes audit files. */
export function scrubPhi(value: unknown, depth = 0): unknown {
  if (depth > 8 || value == null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubPhi(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (PHI_KEYS.has(normaliseKey(k))) {
      out[k] = '[redacted]';
      continue;
    }
    out[k] = scrubPhi(v, depth + 1);
  }
  return out;
}

const scrubFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    if (PHI_KEYS.has(normaliseKey(key))) {
      (info as Record<string, unknown>)[key] = '[redacted]';
    } else {
      (info as Record<string, unknown>)[key] = scrubPhi((info as Record<string, unknown>)[key]);
    }
  }
  return info;
});

function wantJson(): boolean {
  if (process.env.LOG_FORMAT) return process.env.LOG_FORMAT === 'json';
  return process.env.NODE_ENV === 'production' || !process.stdout.isTTY;
}

let root: winston.Logger | undefined;

/** The process-wide logger; level from LOG_LEVEL (default info; tests default to warn). */
export function rootLogger(): winston.Logger {
  if (!root) {
    const level = process.env.LOG_LEVEL ?? (process.env.JEST_WORKER_ID ? 'warn' : 'info');
    const json = wantJson();
    root = winston.createLogger({
      level,
      format: winston.format.combine(
        scrubFormat(),
        winston.format.timestamp(),
        winston.format.errors({ stack: true }),
        json
          ? winston.format.json()
          : winston.format.printf(({ level: lvl, message, timestamp, component, ...rest }) => {
              const meta = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
              return `${String(timestamp)} ${lvl.padEnd(5)} [${String(component ?? 'node')}] ${String(message)}${meta}`;
            }),
      ),
      // stderr keeps stdout clean for CLI commands that print JSON (`classify --json`, `infer --json`).
      transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
    });
  }
  return root;
}

export type Logger = winston.Logger;

/** A logger for one component (`store`, `stow`, `dimse`, ...). */
export function createLogger(component: string): Logger {
  return rootLogger().child({ component });
}
