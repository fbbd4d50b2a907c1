/** Reads series_labels_dev.csv (shared research copy when present, else the committed fixture copy). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesDescriptor } from '../../src/series-id/series-descriptor';
import type { SeriesRole } from '../../src/series-id/roles';

export const SHARED_CSV = join(__dirname, '../../../shared/research/series_labels_dev.csv');
export const FIXTURE_CSV = join(__dirname, '../fixtures/series-id/series_labels_dev.csv');

export interface LabelledRow {
  line: number;
  source: string;
  vendor: string;
  fieldStrength: string;
  seriesDescription: string;
  protocolName: string;
  tr: string;
  te: string;
  ti: string;
  flip: string;
  contrastAgent: string;
  label: string;
}

/** RFC 4180 CSV: quoted fields may hold commas and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export function loadLabelledRows(): { path: string; rows: LabelledRow[] } {
  const path = existsSync(SHARED_CSV) ? SHARED_CSV : FIXTURE_CSV;
  const [head, ...body] = parseCsv(readFileSync(path, 'utf8'));
  const col = (name: string): number => {
    const i = head!.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  const idx = {
    source: col('source'),
    vendor: col('vendor'),
    fieldStrength: col('field_strength'),
    seriesDescription: col('series_description'),
    protocolName: col('protocol_name'),
    tr: col('tr_ms'),
    te: col('te_ms'),
    ti: col('ti_ms'),
    flip: col('flip_deg'),
    contrastAgent: col('contrast_agent'),
    label: col('label'),
  };
  const rows = body.map((r, i) => {
    const get = (k: keyof typeof idx): string => (r[idx[k]] ?? '').trim();
    return {
      line: i + 2,
      source: get('source'),
      vendor: get('vendor'),
      fieldStrength: get('fieldStrength'),
      seriesDescription: r[idx.seriesDescription] ?? '',
      protocolName: r[idx.protocolName] ?? '',
      tr: get('tr'),
      te: get('te'),
      ti: get('ti'),
      flip: get('flip'),
      contrastAgent: get('contrastAgent'),
      label: get('label'),
    };
  });
  return { path, rows };
}

const numOrUndefined = (s: string): number | undefined => (s === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));

/**
 * The header a scanner would have sent, as far as the row knows it. A vendor the dataset author only *inferred*
 * from the name ("GE(inferred)") is not passed on: the classifier must not get information the row does not have.
 */
export function headerFromRow(row: LabelledRow): SeriesDescriptor {
  const vendor = /\(inferred\)/i.test(row.vendor) ? '' : row.vendor.replace(/\(.*?\)/g, '').trim();
  const [manufacturer, ...model] = vendor.split(/\s+/);
  const tesla = /^([\d.]+)\s*T$/i.exec(row.fieldStrength);
  return {
    seriesInstanceUid: `2.25.${1000 + row.line}`,
    seriesNumber: 1,
    manufacturer: manufacturer || undefined,
    manufacturerModelName: model.join(' ') || undefined,
    magneticFieldStrength: tesla ? Number(tesla[1]) : undefined,
    seriesDescription: row.seriesDescription,
    protocolName: row.protocolName,
    repetitionTime: numOrUndefined(row.tr),
    echoTime: numOrUndefined(row.te),
    inversionTime: numOrUndefined(row.ti),
    flipAngle: numOrUndefined(row.flip),
    contrastBolusAgent: row.contrastAgent || undefined,
  };
}

export const LABEL_TO_ROLE: Record<string, SeriesRole> = { T1: 't1', T1CE: 't1ce', T2: 't2', FLAIR: 'flair', OTHER: 'other' };
