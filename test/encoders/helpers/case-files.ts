/**
 * Writes a synthetic case's input series as real DICOM files (src/synth/series-writer.ts, single-frame MR or one
 * Enhanced MR multi-frame per series) and rebuilds the Findings' slice provenance from the written files, the way
 * the imaging stage would: SOP Instance UIDs, frame numbers and IPPs come from what was read back.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readP10, type NaturalDataset } from '../../../src/dicom/p10';
import { writeSeries, type SeriesFormat } from '../../../src/synth/series-writer';
import type { SliceSource, Vec3 } from '../../../src/imaging/volume';
import type { SyntheticCase } from '../../../src/testing/synthetic-findings';

export interface CaseOnDisk {
  case: SyntheticCase;
  /** Paths of every source instance written. */
  sourceFiles: string[];
}

function items(v: unknown): NaturalDataset[] {
  return Array.isArray(v) ? (v as NaturalDataset[]) : [];
}

function sourcesFromFile(ds: NaturalDataset): SliceSource[] {
  const cls = String(ds.SOPClassUID);
  const uid = String(ds.SOPInstanceUID);
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  if (perFrame.length) {
    return perFrame.map((pf, i) => ({
      sopClassUid: cls,
      sopInstanceUid: uid,
      frameNumber: i + 1,
      imagePositionPatient: (items(pf.PlanePositionSequence)[0]!.ImagePositionPatient as number[]).map(Number) as Vec3,
    }));
  }
  return [{ sopClassUid: cls, sopInstanceUid: uid, imagePositionPatient: (ds.ImagePositionPatient as number[]).map(Number) as Vec3 }];
}

export async function writeCase(c: SyntheticCase, dir: string, format: SeriesFormat = 'single-frame'): Promise<CaseOnDisk> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const h = c.header;
  for (const s of c.series) {
    const written = await writeSeries(
      s.volume,
      {
        PatientName: h.PatientName, PatientID: h.PatientID, PatientBirthDate: h.PatientBirthDate, PatientSex: h.PatientSex,
        StudyInstanceUID: h.StudyInstanceUID, StudyDate: h.StudyDate, StudyTime: h.StudyTime, StudyID: h.StudyID,
        AccessionNumber: h.AccessionNumber, StudyDescription: h.StudyDescription, ReferringPhysicianName: h.ReferringPhysicianName,
        SeriesInstanceUID: s.volume.seriesInstanceUid, FrameOfReferenceUID: s.volume.frameOfReferenceUid,
        SeriesNumber: s.number, SeriesDescription: s.description,
      },
      { seed: `${s.volume.seriesInstanceUid}-${format}`, format },
    );
    const sources: SliceSource[] = [];
    written.instances.forEach((inst, n) => {
      const path = join(dir, `${s.role}-${String(n + 1).padStart(4, '0')}.dcm`);
      writeFileSync(path, inst.buffer);
      files.push(path);
      sources.push(...sourcesFromFile(readP10(inst.buffer, { headerOnly: true }).dataset));
    });
    s.volume.sources = sources;
    const input = c.findings.inputs.find((x) => x.seriesInstanceUid === s.volume.seriesInstanceUid)!;
    input.sopClassUid = written.sopClassUid;
    input.sopInstanceUids = written.instances.map((i) => i.sopInstanceUid);
    // The bidimensional measurement points at a slice of the display series: follow it to the written image.
    const b = c.findings.bidimensional;
    if (b && c.findings.referenceSeries.seriesInstanceUid === s.volume.seriesInstanceUid) b.source = sources[b.slice]!;
  }
  return { case: c, sourceFiles: files };
}
