/**
 * QIDO-RS (PS3.18 10.6): GET {base}/studies, /series, /instances, /studies/{study}/series,
 * /studies/{study}/instances, /studies/{study}/series/{series}/instances.
 * Query parameters: attribute matches by keyword or tag (see src/store/query.ts for matching rules), limit,
 * offset, includefield (keywords/tags, comma-separated or repeated, or "all"), fuzzymatching (accepted, ignored).
 * Response: application/dicom+json array; 204-free: an empty result is 200 with [] (PS3.18 allows both).
 */
import type { Request, Response } from 'express';
import type { Logger } from '../log/logger';
import { QueryError, searchKeys, tagOf, keywordOf, type QueryLevel } from '../store/query';
import type { InstanceStore } from '../store/store';
import type { AuditSink } from '../audit/events';
import { httpActor } from '../audit/recorder';
import type { DicomJson, InstanceRecord, SeriesRecord, StudyRecord } from '../store/types';

export interface RetrieveBase {
  study(studyUid: string): string;
  series(studyUid: string, seriesUid: string): string;
  instance(studyUid: string, seriesUid: string, sopUid: string): string;
}

const RESERVED = new Set(['limit', 'offset', 'includefield', 'fuzzymatching']);
const MAX_LIMIT = 10000;

type El = DicomJson[string];
const str = (vr: string, v: string | undefined): El => (v ? { vr, Value: [v] } : { vr });
const pn = (v: string | undefined): El => (v ? { vr: 'PN', Value: [{ Alphabetic: v }] } : { vr: 'PN' });
const int = (vr: string, v: number | undefined): El => (v === undefined ? { vr } : { vr, Value: [v] });

function studyAttrs(s: StudyRecord): DicomJson {
  return {
    '00080020': str('DA', s.studyDate),
    '00080030': str('TM', s.studyTime),
    '00080050': str('SH', s.accessionNumber),
    '00080056': str('CS', 'ONLINE'),
    '00080061': s.modalitiesInStudy.length ? { vr: 'CS', Value: s.modalitiesInStudy } : { vr: 'CS' },
    '00080090': pn(s.referringPhysicianName),
    '00081030': str('LO', s.studyDescription),
    '00100010': pn(s.patientName),
    '00100020': str('LO', s.patientId),
    '00100030': str('DA', s.patientBirthDate),
    '00100040': str('CS', s.patientSex),
    '0020000D': str('UI', s.studyInstanceUid),
    '00200010': str('SH', s.studyId),
    '00201206': int('IS', s.seriesCount),
    '00201208': int('IS', s.instanceCount),
  };
}

function seriesAttrs(se: SeriesRecord): DicomJson {
  return {
    '00080060': str('CS', se.modality),
    '0008103E': str('LO', se.seriesDescription),
    '00181030': str('LO', se.protocolName),
    '0020000E': str('UI', se.seriesInstanceUid),
    '00200011': int('IS', se.seriesNumber),
    '00201209': int('IS', se.instanceCount),
  };
}

function instanceAttrs(i: InstanceRecord): DicomJson {
  return {
    '00080016': str('UI', i.sopClassUid),
    '00080018': str('UI', i.sopInstanceUid),
    '00080056': str('CS', 'ONLINE'),
    '00200013': int('IS', i.instanceNumber),
    '00280008': int('IS', i.numberOfFrames),
    '00280010': int('US', i.rows),
    '00280011': int('US', i.columns),
    '00280100': int('US', i.bitsAllocated),
  };
}

interface ParsedQuery {
  filters: Record<string, string>;
  include: 'all' | Set<string>;
  limit?: number;
  offset?: number;
}

function asStrings(v: unknown): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap(asStrings);
  return [String(v)];
}

export function parseQidoQuery(query: Request['query'], level: QueryLevel): ParsedQuery {
  const filters: Record<string, string> = {};
  const include = new Set<string>();
  let all = false;
  for (const [k, raw] of Object.entries(query)) {
    const values = asStrings(raw);
    if (k.toLowerCase() === 'includefield') {
      for (const v of values.flatMap((x) => x.split(','))) {
        if (!v) continue;
        if (v === 'all') all = true;
        else {
          const tag = tagFor(v);
          if (!tag) throw new QueryError(`includefield ${JSON.stringify(v)} is not a DICOM keyword or tag`);
          include.add(tag);
        }
      }
      continue;
    }
    if (RESERVED.has(k.toLowerCase())) continue;
    // Lenient: a study-level search on Modality means ModalitiesInStudy.
    const key = level === 'study' && (k === 'Modality' || k === '00080060') ? 'ModalitiesInStudy' : k;
    if (values.length > 1) throw new QueryError(`${k} given more than once`);
    filters[key] = values[0] ?? '';
    if ((values[0] ?? '') === '') {
      const tag = tagFor(key);
      if (tag) include.add(tag);
    }
  }
  const num = (name: string, max: number): number | undefined => {
    const v = asStrings(query[name])[0];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new QueryError(`${name} must be a non-negative integer, not ${JSON.stringify(v)}`);
    return Math.min(n, max);
  };
  return { filters, include: all ? 'all' : include, limit: num('limit', MAX_LIMIT), offset: num('offset', Number.MAX_SAFE_INTEGER) };
}

function tagFor(v: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(v)) return v.toUpperCase();
  const kw = keywordOf(v);
  return kw ? tagOf(kw) : undefined;
}

/** Instance-level identifiers left out of includefield=all at study and series level. */
const INSTANCE_LEVEL_TAGS = new Set(['00080016', '00080018', '00080008', '00080012', '00080013', '00080022', '00080023', '00080032', '00080033', '00200013', '00200032', '00201041', '00200012', '00280008', '00280010', '00280011']);
/** Study-level attributes for includefield=all on /studies: patient group plus the study module. */
function isStudyLevelTag(tag: string): boolean {
  return tag.startsWith('0010') || ['00080005', '00080020', '00080030', '00080050', '00080090', '00081030', '00081032', '00081060', '0020000D', '00200010', '00321032', '00321060', '00081080', '00101010', '00101020', '00101030'].includes(tag);
}

/** Adds requested attributes that the default set lacks, from a stored instance header. */
function withIncludes(base: DicomJson, include: ParsedQuery['include'], source: DicomJson | undefined, level: QueryLevel = 'instance'): DicomJson {
  if (!source) return base;
  if (include === 'all') {
    const keep = Object.entries(source).filter(([tag]) => (level === 'instance' ? true : level === 'series' ? !INSTANCE_LEVEL_TAGS.has(tag) : isStudyLevelTag(tag)));
    return { ...Object.fromEntries(keep), ...base };
  }
  const out = { ...base };
  for (const tag of include) if (!(tag in out) && source[tag]) out[tag] = source[tag]!;
  return out;
}

function sortTags(ds: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(ds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function qidoHandler(level: QueryLevel, deps: { store: InstanceStore; urls(req: Request): RetrieveBase; logger: Logger; audit?: AuditSink }) {
  return (req: Request, res: Response): void => {
    const studyUid = typeof req.params.study === 'string' ? req.params.study : undefined;
    const seriesUid = typeof req.params.series === 'string' ? req.params.series : undefined;
    let q: ParsedQuery;
    let keys: string[];
    try {
      q = parseQidoQuery(req.query, level);
      keys = searchKeys(deps.store.db, { level, filters: q.filters, studyUid, seriesUid, limit: q.limit, offset: q.offset });
    } catch (e) {
      if (e instanceof QueryError) {
        res.status(400).json({ error: e.message, status: 400 });
        return;
      }
      throw e;
    }
    const urls = deps.urls(req);
    const idx = deps.store.index;
    const out: DicomJson[] = [];
    const studyCache = new Map<string, StudyRecord | undefined>();
    const study = (uid: string): StudyRecord | undefined => {
      if (!studyCache.has(uid)) studyCache.set(uid, idx.getStudy(uid));
      return studyCache.get(uid);
    };
    for (const key of keys) {
      if (level === 'study') {
        const s = study(key);
        if (!s) continue;
        const base = { ...studyAttrs(s), '00081190': str('UR', urls.study(s.studyInstanceUid)) };
        out.push(withIncludes(base, q.include, q.include === 'all' || q.include.size ? idx.representativeMetadata({ studyUid: key }) : undefined, 'study'));
      } else if (level === 'series') {
        const se = idx.getSeries(key);
        if (!se) continue;
        const s = study(se.studyInstanceUid);
        const base = { ...(studyUid ? {} : s ? studyAttrs(s) : {}), ...seriesAttrs(se), '0020000D': str('UI', se.studyInstanceUid), '00081190': str('UR', urls.series(se.studyInstanceUid, se.seriesInstanceUid)) };
        out.push(withIncludes(base, q.include, q.include === 'all' || q.include.size ? idx.representativeMetadata({ seriesUid: key }) : undefined, 'series'));
      } else {
        const rec = idx.getInstance(key);
        if (!rec) continue;
        const se = seriesUid ? undefined : idx.getSeries(rec.seriesInstanceUid);
        const s = studyUid ? undefined : study(rec.studyInstanceUid);
        const base = {
          ...(s ? studyAttrs(s) : {}),
          ...(se ? seriesAttrs(se) : {}),
          ...instanceAttrs(rec),
          '0020000D': str('UI', rec.studyInstanceUid),
          '0020000E': str('UI', rec.seriesInstanceUid),
          '00081190': str('UR', urls.instance(rec.studyInstanceUid, rec.seriesInstanceUid, rec.sopInstanceUid)),
        };
        const meta = q.include === 'all' || q.include.size ? idx.metadata({ sopUid: key })[0]?.metadata : undefined;
        out.push(withIncludes(base, q.include, meta));
      }
    }
    // Which attributes were matched on, never their values (they may be patient names).
    deps.audit?.record({ type: 'query', actor: httpActor(req, res), level, keys: Object.keys(req.query).sort().slice(0, 50).map((k) => k.slice(0, 64)), ...(studyUid ? { studyInstanceUid: studyUid } : {}), results: out.length });
    res.status(200);
    res.setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
    res.end(JSON.stringify(out.map(sortTags)));
  };
}
