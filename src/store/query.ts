/**
 * Attribute matching over the index (PS3.4 C.2.2.2 semantics as QIDO-RS uses them, PS3.18 8.3.4):
 *   single value (exact), UID list ("a,b" or "a\b"), wildcard ("*" and "?"), date/time ranges ("A-B", "-B", "A-"),
 *   universal (empty value: no filter). Person names and descriptions match case-insensitively.
 * Only indexed attributes can be matched; anything else is a QueryError naming the attribute (-> HTTP 400).
 */
import dcmjs from 'dcmjs';
import type { Db } from './database';

export type QueryLevel = 'study' | 'series' | 'instance';

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

type MatchKind = 'uid-list' | 'text' | 'text-ci' | 'exact-list' | 'date' | 'time' | 'int' | 'modalities';

interface Attr {
  level: QueryLevel;
  column: string;
  kind: MatchKind;
}

/** Matchable attributes (keyword -> level, SQL column, matching kind). */
export const MATCHABLE: Record<string, Attr> = {
  StudyInstanceUID: { level: 'study', column: 's.study_uid', kind: 'uid-list' },
  PatientID: { level: 'study', column: 'p.patient_id', kind: 'text' },
  PatientName: { level: 'study', column: 'p.patient_name', kind: 'text-ci' },
  PatientBirthDate: { level: 'study', column: 'p.birth_date', kind: 'date' },
  PatientSex: { level: 'study', column: 'p.sex', kind: 'exact-list' },
  StudyDate: { level: 'study', column: 's.study_date', kind: 'date' },
  StudyTime: { level: 'study', column: 's.study_time', kind: 'time' },
  AccessionNumber: { level: 'study', column: 's.accession_number', kind: 'text' },
  StudyID: { level: 'study', column: 's.study_id', kind: 'text' },
  StudyDescription: { level: 'study', column: 's.study_description', kind: 'text-ci' },
  ReferringPhysicianName: { level: 'study', column: 's.referring_physician', kind: 'text-ci' },
  ModalitiesInStudy: { level: 'study', column: 's.study_uid', kind: 'modalities' },
  SeriesInstanceUID: { level: 'series', column: 'se.series_uid', kind: 'uid-list' },
  Modality: { level: 'series', column: 'se.modality', kind: 'exact-list' },
  SeriesNumber: { level: 'series', column: 'se.series_number', kind: 'int' },
  SeriesDescription: { level: 'series', column: 'se.series_description', kind: 'text-ci' },
  ProtocolName: { level: 'series', column: 'se.protocol_name', kind: 'text-ci' },
  BodyPartExamined: { level: 'series', column: 'se.body_part', kind: 'text-ci' },
  FrameOfReferenceUID: { level: 'series', column: 'se.frame_of_reference_uid', kind: 'uid-list' },
  Manufacturer: { level: 'series', column: 'se.manufacturer', kind: 'text-ci' },
  SeriesDate: { level: 'series', column: 'se.series_date', kind: 'date' },
  SeriesTime: { level: 'series', column: 'se.series_time', kind: 'time' },
  SOPInstanceUID: { level: 'instance', column: 'i.sop_uid', kind: 'uid-list' },
  SOPClassUID: { level: 'instance', column: 'i.sop_class_uid', kind: 'uid-list' },
  InstanceNumber: { level: 'instance', column: 'i.instance_number', kind: 'int' },
  Rows: { level: 'instance', column: 'i.rows', kind: 'int' },
  Columns: { level: 'instance', column: 'i.columns', kind: 'int' },
  NumberOfFrames: { level: 'instance', column: 'i.number_of_frames', kind: 'int' },
  AcquisitionNumber: { level: 'instance', column: 'i.acquisition_number', kind: 'int' },
};

const LEVEL_RANK: Record<QueryLevel, number> = { study: 0, series: 1, instance: 2 };

/** "00100010" or "0010,0010" or "PatientName" -> "PatientName" (undefined when unknown). */
export function keywordOf(attr: string): string | undefined {
  const hex = attr.replace(/[(),]/g, '').toUpperCase();
  if (/^[0-9A-F]{8}$/.test(hex)) {
    const entry = dcmjs.data.DicomMetaDictionary.dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`];
    return entry?.name;
  }
  return dcmjs.data.DicomMetaDictionary.nameMap[attr] ? attr : undefined;
}

/** Keyword -> 8-hex tag ("PatientName" -> "00100010"). */
export function tagOf(keyword: string): string | undefined {
  const e = dcmjs.data.DicomMetaDictionary.nameMap[keyword];
  return e ? e.tag.replace(/[(),]/g, '').toUpperCase() : undefined;
}

export interface SearchRequest {
  level: QueryLevel;
  /** keyword -> DICOM matching string */
  filters: Record<string, string>;
  /** Path scoping: /studies/{study}/series, /studies/{study}/series/{series}/instances */
  studyUid?: string;
  seriesUid?: string;
  limit?: number;
  offset?: number;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

function splitList(value: string): string[] {
  return value
    .split(/[,\\]/)
    .map((v) => v.trim())
    .filter(Boolean);
}

function rangeClause(column: string, value: string, kind: 'date' | 'time', keyword: string, args: unknown[]): string {
  const norm = (v: string): string => (kind === 'date' ? v.replace(/-/g, '') : v.replace(/:/g, ''));
  const valid = kind === 'date' ? /^\d{8}$/ : /^\d{2,6}(\.\d{1,6})?$/;
  const check = (v: string): string => {
    if (!valid.test(v)) throw new QueryError(`${keyword}: ${JSON.stringify(v)} is not a DICOM ${kind === 'date' ? 'date (YYYYMMDD)' : 'time (HHMMSS)'}`);
    return v;
  };
  // A range is "A-B", "-B" or "A-"; ISO dates with dashes (2024-01-02) are accepted for single values.
  const m = /^([^-]*)-([^-]*)$/.exec(value);
  if (m && !(kind === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value))) {
    const [lo, hi] = [m[1]!.trim(), m[2]!.trim()];
    const parts: string[] = [];
    if (lo) {
      parts.push(`${column} >= ?`);
      args.push(check(lo));
    }
    if (hi) {
      const h = check(hi);
      parts.push(`substr(${column}, 1, ?) <= ?`);
      args.push(h.length, h);
    }
    parts.push(`${column} <> ''`);
    return parts.join(' AND ');
  }
  args.push(check(norm(value)));
  return kind === 'time' ? `${column} LIKE ? || '%'` : `${column} = ?`;
}

function clause(keyword: string, attr: Attr, value: string, args: unknown[]): string | undefined {
  if (value === '') return undefined; // universal matching
  const c = attr.column;
  switch (attr.kind) {
    case 'uid-list': {
      const uids = splitList(value);
      args.push(...uids);
      return `${c} IN (${uids.map(() => '?').join(',')})`;
    }
    case 'exact-list': {
      const vals = splitList(value);
      args.push(...vals);
      return `${c} IN (${vals.map(() => '?').join(',')})`;
    }
    case 'modalities': {
      const vals = splitList(value);
      args.push(...vals);
      return `EXISTS (SELECT 1 FROM series mx WHERE mx.study_uid = s.study_uid AND mx.modality IN (${vals.map(() => '?').join(',')}))`;
    }
    case 'int': {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new QueryError(`${keyword}: ${JSON.stringify(value)} is not an integer`);
      args.push(n);
      return `${c} = ?`;
    }
    case 'date':
    case 'time':
      return rangeClause(c, value, attr.kind, keyword, args);
    case 'text':
    case 'text-ci': {
      const ci = attr.kind === 'text-ci' ? ' COLLATE NOCASE' : '';
      if (/[*?]/.test(value)) {
        if (/^\*+$/.test(value)) return undefined;
        if (attr.kind === 'text-ci') {
          // LIKE is case-insensitive for ASCII in SQLite.
          args.push(escapeLike(value).replace(/\*/g, '%').replace(/\?/g, '_'));
          return `${c} LIKE ? ESCAPE '\\'`;
        }
        // GLOB is case-sensitive and uses the same * and ? wildcards; brackets are escaped as classes.
        args.push(value.replace(/[[\]]/g, (ch) => `[${ch}]`));
        return `${c} GLOB ?`;
      }
      args.push(value);
      return `${c} = ?${ci}`;
    }
  }
}

/** Runs a search; returns the matching keys in a stable order. */
export function searchKeys(db: Db, req: SearchRequest): string[] {
  const args: unknown[] = [];
  const where: string[] = [];
  for (const [rawKey, value] of Object.entries(req.filters)) {
    if (value === '') continue; // universal matching: only asks for the attribute to be returned
    const keyword = keywordOf(rawKey) ?? rawKey;
    const attr = MATCHABLE[keyword];
    if (!attr) throw new QueryError(`matching on ${rawKey} is not supported (matchable: ${Object.keys(MATCHABLE).join(', ')})`);
    if (LEVEL_RANK[attr.level] > LEVEL_RANK[req.level]) {
      throw new QueryError(`${keyword} is a ${attr.level}-level attribute and cannot be matched in a ${req.level}-level search`);
    }
    const c = clause(keyword, attr, value, args);
    if (c) where.push(c);
  }
  if (req.studyUid) {
    where.push('s.study_uid = ?');
    args.push(req.studyUid);
  }
  if (req.seriesUid) {
    where.push('se.series_uid = ?');
    args.push(req.seriesUid);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const page = 'LIMIT ? OFFSET ?';
  args.push(req.limit ?? -1, req.offset ?? 0);
  let sql: string;
  if (req.level === 'study') {
    sql = `SELECT s.study_uid AS k FROM studies s JOIN patients p ON p.pk = s.patient_pk ${w} ORDER BY s.study_date DESC, s.study_time DESC, s.study_uid ${page}`;
  } else if (req.level === 'series') {
    sql = `SELECT se.series_uid AS k FROM series se JOIN studies s ON s.study_uid = se.study_uid JOIN patients p ON p.pk = s.patient_pk ${w}
           ORDER BY s.study_uid, se.series_number, se.series_uid ${page}`;
  } else {
    sql = `SELECT i.sop_uid AS k FROM instances i JOIN series se ON se.series_uid = i.series_uid JOIN studies s ON s.study_uid = i.study_uid
           JOIN patients p ON p.pk = s.patient_pk ${w} ORDER BY s.study_uid, se.series_number, se.series_uid, i.instance_number, i.sop_uid ${page}`;
  }
  return (db.prepare(sql).all(...args) as Array<{ k: string }>).map((r) => r.k);
}
