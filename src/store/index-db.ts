/**
 * The SQLite index of patient / study / series / instance. Synchronous (better-sqlite3); the store batches
 * inserts into one transaction per flush (group commit). Study and series attributes come from the first
 * instance that carries them (later instances only fill empty fields).
 */
import { migrate, type Db } from './database';
import type { IndexFields } from './index-fields';
import type { DicomJson, InstanceRecord, IngestSource, SeriesRecord, StudyRecord } from './types';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';

const MIGRATIONS = [
  `
  CREATE TABLE patients (
    pk INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    patient_name TEXT NOT NULL DEFAULT '',
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    UNIQUE (patient_id, issuer)
  );
  CREATE TABLE studies (
    study_uid TEXT PRIMARY KEY,
    patient_pk INTEGER NOT NULL REFERENCES patients(pk),
    study_date TEXT NOT NULL DEFAULT '',
    study_time TEXT NOT NULL DEFAULT '',
    study_id TEXT NOT NULL DEFAULT '',
    accession_number TEXT NOT NULL DEFAULT '',
    study_description TEXT NOT NULL DEFAULT '',
    referring_physician TEXT NOT NULL DEFAULT '',
    first_received_at INTEGER NOT NULL,
    last_received_at INTEGER NOT NULL
  );
  CREATE INDEX studies_patient ON studies(patient_pk);
  CREATE INDEX studies_date ON studies(study_date);
  CREATE TABLE series (
    series_uid TEXT PRIMARY KEY,
    study_uid TEXT NOT NULL REFERENCES studies(study_uid),
    modality TEXT NOT NULL DEFAULT '',
    series_number INTEGER,
    series_description TEXT NOT NULL DEFAULT '',
    protocol_name TEXT NOT NULL DEFAULT '',
    frame_of_reference_uid TEXT NOT NULL DEFAULT '',
    manufacturer TEXT NOT NULL DEFAULT '',
    body_part TEXT NOT NULL DEFAULT '',
    series_date TEXT NOT NULL DEFAULT '',
    series_time TEXT NOT NULL DEFAULT '',
    last_received_at INTEGER NOT NULL
  );
  CREATE INDEX series_study ON series(study_uid);
  CREATE TABLE instances (
    sop_uid TEXT PRIMARY KEY,
    series_uid TEXT NOT NULL REFERENCES series(series_uid),
    study_uid TEXT NOT NULL REFERENCES studies(study_uid),
    sop_class_uid TEXT NOT NULL,
    transfer_syntax_uid TEXT NOT NULL,
    instance_number INTEGER,
    ipp TEXT,
    iop TEXT,
    pixel_spacing TEXT,
    slice_thickness REAL,
    rows INTEGER,
    columns INTEGER,
    number_of_frames INTEGER,
    bits_allocated INTEGER,
    acquisition_time TEXT NOT NULL DEFAULT '',
    acquisition_number INTEGER,
    content_date TEXT NOT NULL DEFAULT '',
    content_time TEXT NOT NULL DEFAULT '',
    pixel_data_offset INTEGER,
    rel_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    calling_ae TEXT,
    remote_address TEXT,
    metadata TEXT NOT NULL
  );
  CREATE INDEX instances_series ON instances(series_uid, instance_number);
  CREATE INDEX instances_study ON instances(study_uid, received_at);
  `,
  // The authenticated HTTP user that sent an instance by STOW-RS (routing rules filter on it).
  `ALTER TABLE instances ADD COLUMN user_name TEXT;`,
];

/** Everything needed to index one stored instance. */
export interface IndexRow {
  fields: IndexFields;
  transferSyntaxUid: string;
  pixelDataOffset?: number;
  /** Path relative to objects/ */
  relPath: string;
  size: number;
  sha256: string;
  receivedAt: number;
  source: IngestSource;
  callingAeTitle?: string;
  remoteAddress?: string;
  user?: string;
  metadata: DicomJson;
  /** Replace the row of the same SOP Instance UID (node.duplicatePolicy replace) instead of skipping this one. */
  replace?: boolean;
}

interface InstanceRow {
  sop_uid: string;
  series_uid: string;
  study_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  instance_number: number | null;
  ipp: string | null;
  iop: string | null;
  pixel_spacing: string | null;
  slice_thickness: number | null;
  rows: number | null;
  columns: number | null;
  number_of_frames: number | null;
  bits_allocated: number | null;
  acquisition_time: string;
  acquisition_number: number | null;
  pixel_data_offset: number | null;
  rel_path: string;
  size: number;
  sha256: string;
  received_at: number;
  source: string;
  calling_ae: string | null;
  remote_address: string | null;
  user_name: string | null;
}

/** Instance columns without the (large) metadata JSON. */
export const INSTANCE_COLUMNS =
  'sop_uid, series_uid, study_uid, sop_class_uid, transfer_syntax_uid, instance_number, ipp, iop, pixel_spacing, slice_thickness, rows, columns, number_of_frames, bits_allocated, acquisition_time, acquisition_number, pixel_data_offset, rel_path, size, sha256, received_at, source, calling_ae, remote_address, user_name';

function optNum(v: number | null): number | undefined {
  return v == null ? undefined : v;
}

function optArr(v: string | null): number[] | undefined {
  return v == null ? undefined : (JSON.parse(v) as number[]);
}

export class InstanceIndex {
  private readonly insertPatient: Statement;
  private readonly selectPatient: Statement;
  private readonly upsertStudy: Statement;
  private readonly upsertSeries: Statement;
  private readonly insertInstance: Statement;
  private readonly selectInstance: Statement;
  private readonly selectSha: Statement;

  constructor(
    readonly db: Db,
    private readonly objectsDir: string,
  ) {
    migrate(db, 'store', MIGRATIONS);
    this.insertPatient = db.prepare(
      `INSERT INTO patients (patient_id, issuer, patient_name, birth_date, sex) VALUES (@patientId, @issuerOfPatientId, @patientName, @patientBirthDate, @patientSex)
       ON CONFLICT(patient_id, issuer) DO UPDATE SET
         patient_name = CASE WHEN patient_name = '' THEN excluded.patient_name ELSE patient_name END,
         birth_date = CASE WHEN birth_date = '' THEN excluded.birth_date ELSE birth_date END,
         sex = CASE WHEN sex = '' THEN excluded.sex ELSE sex END`,
    );
    this.selectPatient = db.prepare('SELECT pk FROM patients WHERE patient_id = ? AND issuer = ?');
    const fill = (c: string): string => `${c} = CASE WHEN ${c} = '' THEN excluded.${c} ELSE ${c} END`;
    this.upsertStudy = db.prepare(
      `INSERT INTO studies (study_uid, patient_pk, study_date, study_time, study_id, accession_number, study_description, referring_physician, first_received_at, last_received_at)
       VALUES (@studyInstanceUid, @patientPk, @studyDate, @studyTime, @studyId, @accessionNumber, @studyDescription, @referringPhysicianName, @receivedAt, @receivedAt)
       ON CONFLICT(study_uid) DO UPDATE SET
         ${['study_date', 'study_time', 'study_id', 'accession_number', 'study_description', 'referring_physician'].map(fill).join(',\n         ')},
         last_received_at = MAX(last_received_at, excluded.last_received_at)`,
    );
    this.upsertSeries = db.prepare(
      `INSERT INTO series (series_uid, study_uid, modality, series_number, series_description, protocol_name, frame_of_reference_uid, manufacturer, body_part, series_date, series_time, last_received_at)
       VALUES (@seriesInstanceUid, @studyInstanceUid, @modality, @seriesNumber, @seriesDescription, @protocolName, @frameOfReferenceUid, @manufacturer, @bodyPartExamined, @seriesDate, @seriesTime, @receivedAt)
       ON CONFLICT(series_uid) DO UPDATE SET
         ${['modality', 'series_description', 'protocol_name', 'frame_of_reference_uid', 'manufacturer', 'body_part', 'series_date', 'series_time'].map(fill).join(',\n         ')},
         series_number = COALESCE(series_number, excluded.series_number),
         last_received_at = MAX(last_received_at, excluded.last_received_at)`,
    );
    this.insertInstance = db.prepare(
      `INSERT INTO instances (sop_uid, series_uid, study_uid, sop_class_uid, transfer_syntax_uid, instance_number, ipp, iop, pixel_spacing, slice_thickness, rows, columns,
         number_of_frames, bits_allocated, acquisition_time, acquisition_number, content_date, content_time, pixel_data_offset, rel_path, size, sha256, received_at, source, calling_ae, remote_address, user_name, metadata)
       VALUES (@sopInstanceUid, @seriesInstanceUid, @studyInstanceUid, @sopClassUid, @transferSyntaxUid, @instanceNumber, @ipp, @iop, @pixelSpacing, @sliceThickness, @rows, @columns,
         @numberOfFrames, @bitsAllocated, @acquisitionTime, @acquisitionNumber, @contentDate, @contentTime, @pixelDataOffset, @relPath, @size, @sha256, @receivedAt, @source, @callingAe, @remoteAddress, @user, @metadata)`,
    );
    this.selectInstance = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE sop_uid = ?`);
    this.selectSha = db.prepare('SELECT sha256, study_uid, series_uid, sop_class_uid, transfer_syntax_uid, size FROM instances WHERE sop_uid = ?');
  }

  /** Inserts rows in one transaction (all or none). A row whose SOP Instance UID is already indexed is skipped. */
  insertMany(rows: IndexRow[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.insertOne(r);
    })();
  }

  private insertOne(r: IndexRow): void {
    const f = r.fields;
    if (r.replace) this.db.prepare('DELETE FROM instances WHERE sop_uid = ?').run(f.instance.sopInstanceUid);
    else if (this.selectSha.get(f.instance.sopInstanceUid)) return;
    this.insertPatient.run(f.patient);
    const patientPk = (this.selectPatient.get(f.patient.patientId, f.patient.issuerOfPatientId) as { pk: number }).pk;
    this.upsertStudy.run({ ...f.study, patientPk, receivedAt: r.receivedAt });
    this.upsertSeries.run({ ...f.series, studyInstanceUid: f.study.studyInstanceUid, seriesNumber: f.series.seriesNumber ?? null, receivedAt: r.receivedAt });
    const i = f.instance;
    const json = (v: number[] | undefined): string | null => (v ? JSON.stringify(v) : null);
    this.insertInstance.run({
      sopInstanceUid: i.sopInstanceUid,
      seriesInstanceUid: f.series.seriesInstanceUid,
      studyInstanceUid: f.study.studyInstanceUid,
      sopClassUid: i.sopClassUid,
      transferSyntaxUid: r.transferSyntaxUid,
      instanceNumber: i.instanceNumber ?? null,
      ipp: json(i.imagePositionPatient),
      iop: json(i.imageOrientationPatient),
      pixelSpacing: json(i.pixelSpacing),
      sliceThickness: i.sliceThickness ?? null,
      rows: i.rows ?? null,
      columns: i.columns ?? null,
      numberOfFrames: i.numberOfFrames ?? null,
      bitsAllocated: i.bitsAllocated ?? null,
      acquisitionTime: i.acquisitionTime,
      acquisitionNumber: i.acquisitionNumber ?? null,
      contentDate: i.contentDate,
      contentTime: i.contentTime,
      pixelDataOffset: r.pixelDataOffset ?? null,
      relPath: r.relPath,
      size: r.size,
      sha256: r.sha256,
      receivedAt: r.receivedAt,
      source: r.source,
      callingAe: r.callingAeTitle ?? null,
      remoteAddress: r.remoteAddress ?? null,
      user: r.user ?? null,
      metadata: JSON.stringify(r.metadata),
    });
  }

  /** Identity of a stored instance (for duplicate detection). */
  identity(sopUid: string): { sha256: string; studyUid: string; seriesUid: string; sopClassUid: string; transferSyntaxUid: string; size: number } | undefined {
    const r = this.selectSha.get(sopUid) as
      | { sha256: string; study_uid: string; series_uid: string; sop_class_uid: string; transfer_syntax_uid: string; size: number }
      | undefined;
    return r && { sha256: r.sha256, studyUid: r.study_uid, seriesUid: r.series_uid, sopClassUid: r.sop_class_uid, transferSyntaxUid: r.transfer_syntax_uid, size: r.size };
  }

  toRecord(r: InstanceRow): InstanceRecord {
    return {
      sopInstanceUid: r.sop_uid,
      sopClassUid: r.sop_class_uid,
      seriesInstanceUid: r.series_uid,
      studyInstanceUid: r.study_uid,
      transferSyntaxUid: r.transfer_syntax_uid,
      instanceNumber: optNum(r.instance_number),
      imagePositionPatient: optArr(r.ipp),
      imageOrientationPatient: optArr(r.iop),
      pixelSpacing: optArr(r.pixel_spacing),
      sliceThickness: optNum(r.slice_thickness),
      rows: optNum(r.rows),
      columns: optNum(r.columns),
      numberOfFrames: optNum(r.number_of_frames),
      bitsAllocated: optNum(r.bits_allocated),
      acquisitionTime: r.acquisition_time || undefined,
      acquisitionNumber: optNum(r.acquisition_number),
      pixelDataOffset: optNum(r.pixel_data_offset),
      path: join(this.objectsDir, r.rel_path),
      sizeBytes: r.size,
      sha256: r.sha256,
      receivedAt: r.received_at,
      source: r.source as IngestSource,
      callingAeTitle: r.calling_ae ?? undefined,
      remoteAddress: r.remote_address ?? undefined,
      user: r.user_name ?? undefined,
    };
  }

  getInstance(sopUid: string): InstanceRecord | undefined {
    const r = this.selectInstance.get(sopUid) as InstanceRow | undefined;
    return r && this.toRecord(r);
  }

  /** Instances of a study or series, ordered by series then InstanceNumber. */
  listInstances(scope: { studyUid?: string; seriesUid?: string }): InstanceRecord[] {
    const { where, args } = scopeWhere(scope);
    const rows = this.db
      .prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances ${where} ORDER BY series_uid, instance_number, sop_uid`)
      .all(...args) as InstanceRow[];
    return rows.map((r) => this.toRecord(r));
  }

  /** Stored DICOM JSON header of instances (all of a study/series, or the given SOP Instance UIDs). */
  metadata(scope: { studyUid?: string; seriesUid?: string; sopUid?: string }): Array<{ sopUid: string; seriesUid: string; studyUid: string; metadata: DicomJson; record: InstanceRecord }> {
    const { where, args } = scopeWhere(scope);
    const rows = this.db
      .prepare(`SELECT ${INSTANCE_COLUMNS}, metadata FROM instances ${where} ORDER BY series_uid, instance_number, sop_uid`)
      .all(...args) as Array<InstanceRow & { metadata: string }>;
    return rows.map((r) => ({ sopUid: r.sop_uid, seriesUid: r.series_uid, studyUid: r.study_uid, metadata: JSON.parse(r.metadata) as DicomJson, record: this.toRecord(r) }));
  }

  getStudy(studyUid: string): StudyRecord | undefined {
    return this.studies({ studyUids: [studyUid] })[0];
  }

  /** Studies with aggregates, newest activity first. */
  studies(opts: { studyUids?: string[]; limit?: number; offset?: number } = {}): StudyRecord[] {
    const where = opts.studyUids ? `WHERE s.study_uid IN (${opts.studyUids.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(
        `SELECT s.*, p.patient_id, p.patient_name, p.birth_date, p.sex,
           (SELECT COUNT(*) FROM series se WHERE se.study_uid = s.study_uid) AS series_count,
           (SELECT COUNT(*) FROM instances i WHERE i.study_uid = s.study_uid) AS instance_count,
           (SELECT GROUP_CONCAT(DISTINCT se.modality) FROM series se WHERE se.study_uid = s.study_uid AND se.modality <> '') AS modalities
         FROM studies s JOIN patients p ON p.pk = s.patient_pk ${where}
         ORDER BY s.last_received_at DESC, s.study_uid LIMIT ? OFFSET ?`,
      )
      .all(...(opts.studyUids ?? []), opts.limit ?? -1, opts.offset ?? 0) as StudyRow[];
    return rows.map(studyRecord);
  }

  series(studyUid: string): SeriesRecord[] {
    const rows = this.db
      .prepare(
        `SELECT se.*, (SELECT COUNT(*) FROM instances i WHERE i.series_uid = se.series_uid) AS instance_count
         FROM series se WHERE se.study_uid = ? ORDER BY se.series_number, se.series_uid`,
      )
      .all(studyUid) as SeriesRow[];
    return rows.map(seriesRecord);
  }

  getSeries(seriesUid: string): SeriesRecord | undefined {
    const r = this.db
      .prepare(`SELECT se.*, (SELECT COUNT(*) FROM instances i WHERE i.series_uid = se.series_uid) AS instance_count FROM series se WHERE se.series_uid = ?`)
      .get(seriesUid) as SeriesRow | undefined;
    return r && seriesRecord(r);
  }

  /** DICOM JSON of one instance of a study or series (the lowest InstanceNumber), for study/series-level includefield. */
  representativeMetadata(scope: { studyUid?: string; seriesUid?: string }): DicomJson | undefined {
    const r = (scope.seriesUid
      ? this.db.prepare('SELECT metadata FROM instances WHERE series_uid = ? ORDER BY instance_number LIMIT 1').get(scope.seriesUid)
      : this.db.prepare('SELECT metadata FROM instances WHERE study_uid = ? ORDER BY instance_number LIMIT 1').get(scope.studyUid)) as { metadata: string } | undefined;
    return r ? (JSON.parse(r.metadata) as DicomJson) : undefined;
  }

  /** All (sop_uid, rel_path, size) pairs, for start-up reconciliation. */
  allFiles(): Array<{ sopUid: string; relPath: string; size: number }> {
    return (this.db.prepare('SELECT sop_uid, rel_path, size FROM instances').all() as Array<{ sop_uid: string; rel_path: string; size: number }>).map((r) => ({
      sopUid: r.sop_uid,
      relPath: r.rel_path,
      size: r.size,
    }));
  }

  /** Removes an instance row (and its series/study when they become empty). Used by reconciliation only. */
  removeInstance(sopUid: string): void {
    this.db.transaction(() => {
      const id = this.identity(sopUid);
      if (!id) return;
      this.db.prepare('DELETE FROM instances WHERE sop_uid = ?').run(sopUid);
      this.db.prepare('DELETE FROM series WHERE series_uid = ? AND NOT EXISTS (SELECT 1 FROM instances WHERE series_uid = ?)').run(id.seriesUid, id.seriesUid);
      this.db.prepare('DELETE FROM studies WHERE study_uid = ? AND NOT EXISTS (SELECT 1 FROM series WHERE study_uid = ?)').run(id.studyUid, id.studyUid);
    })();
  }

  /** Removes every row of a study in one transaction, and its patient row when no other study refers to it. */
  removeStudy(studyUid: string): { instances: number; bytes: number } {
    return this.db.transaction(() => {
      const sum = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM instances WHERE study_uid = ?').get(studyUid) as { n: number; bytes: number };
      const patient = this.db.prepare('SELECT patient_pk FROM studies WHERE study_uid = ?').get(studyUid) as { patient_pk: number } | undefined;
      this.db.prepare('DELETE FROM instances WHERE study_uid = ?').run(studyUid);
      this.db.prepare('DELETE FROM series WHERE study_uid = ?').run(studyUid);
      this.db.prepare('DELETE FROM studies WHERE study_uid = ?').run(studyUid);
      // No PHI left behind once the patient's last study is gone.
      if (patient) this.db.prepare('DELETE FROM patients WHERE pk = ? AND NOT EXISTS (SELECT 1 FROM studies WHERE patient_pk = ?)').run(patient.patient_pk, patient.patient_pk);
      return { instances: sum.n, bytes: sum.bytes };
    })();
  }

  /** Study Instance UIDs with this Accession Number (exact match; operators' dashboard search). */
  studyUidsByAccession(accessionNumber: string): string[] {
    return (this.db.prepare('SELECT study_uid FROM studies WHERE accession_number = ?').all(accessionNumber) as Array<{ study_uid: string }>).map((r) => r.study_uid);
  }

  instanceCount(studyUid?: string): number {
    const r = (studyUid
      ? this.db.prepare('SELECT COUNT(*) AS n FROM instances WHERE study_uid = ?').get(studyUid)
      : this.db.prepare('SELECT COUNT(*) AS n FROM instances').get()) as { n: number };
    return r.n;
  }
}

export interface StudyRow {
  study_uid: string;
  patient_id: string;
  patient_name: string;
  birth_date: string;
  sex: string;
  study_date: string;
  study_time: string;
  study_id: string;
  accession_number: string;
  study_description: string;
  referring_physician: string;
  first_received_at: number;
  last_received_at: number;
  series_count: number;
  instance_count: number;
  modalities: string | null;
}

export function studyRecord(r: StudyRow): StudyRecord {
  return {
    studyInstanceUid: r.study_uid,
    patientId: r.patient_id,
    patientName: r.patient_name,
    patientBirthDate: r.birth_date,
    patientSex: r.sex,
    studyDate: r.study_date,
    studyTime: r.study_time,
    studyId: r.study_id,
    accessionNumber: r.accession_number,
    studyDescription: r.study_description,
    referringPhysicianName: r.referring_physician,
    modalitiesInStudy: r.modalities ? r.modalities.split(',').sort() : [],
    seriesCount: r.series_count,
    instanceCount: r.instance_count,
    firstReceivedAt: r.first_received_at,
    lastReceivedAt: r.last_received_at,
  };
}

export interface SeriesRow {
  series_uid: string;
  study_uid: string;
  modality: string;
  series_number: number | null;
  series_description: string;
  protocol_name: string;
  frame_of_reference_uid: string;
  manufacturer: string;
  body_part: string;
  series_date: string;
  series_time: string;
  last_received_at: number;
  instance_count: number;
}

export function seriesRecord(r: SeriesRow): SeriesRecord {
  return {
    seriesInstanceUid: r.series_uid,
    studyInstanceUid: r.study_uid,
    modality: r.modality,
    seriesNumber: optNum(r.series_number),
    seriesDescription: r.series_description,
    protocolName: r.protocol_name,
    frameOfReferenceUid: r.frame_of_reference_uid,
    manufacturer: r.manufacturer,
    bodyPartExamined: r.body_part,
    seriesDate: r.series_date,
    seriesTime: r.series_time,
    instanceCount: r.instance_count,
    lastReceivedAt: r.last_received_at,
  };
}

/** WHERE clause (possibly empty) and its arguments for an instance scope: any of study, series, SOP Instance UID. */
function scopeWhere(scope: { studyUid?: string; seriesUid?: string; sopUid?: string }): { where: string; args: string[] } {
  const used: Array<[string, string]> = [];
  if (scope.studyUid) used.push(['study_uid', scope.studyUid]);
  if (scope.seriesUid) used.push(['series_uid', scope.seriesUid]);
  if (scope.sopUid) used.push(['sop_uid', scope.sopUid]);
  return { where: used.length ? 'WHERE ' + used.map(([c]) => `${c} = ?`).join(' AND ') : '', args: used.map(([, v]) => v) };
}
