/**
 * SR content items (PS3.3 C.17.3) as plain naturalized JSON. dcmjs' `sr` module is not used: its
 * ReferencedSegmentation items throw, and the tree is simpler to read as data anyway.
 */
import { codeItem, type CodedConcept } from '../codes';
import { EncoderInputError } from '../options';
import type { DicomJson } from '../../dicom/part10-writer';

export type Relationship =
  | 'CONTAINS'
  | 'HAS OBS CONTEXT'
  | 'HAS CONCEPT MOD'
  | 'HAS PROPERTIES'
  | 'HAS ACQ CONTEXT'
  | 'INFERRED FROM'
  | 'SELECTED FROM';

export type ContentItem = DicomJson;

function base(rel: Relationship, valueType: string, concept: CodedConcept | undefined, children?: ContentItem[]): ContentItem {
  const item: ContentItem = { RelationshipType: rel, ValueType: valueType };
  if (concept) item.ConceptNameCodeSequence = [codeItem(concept)];
  if (children?.length) item.ContentSequence = children;
  return item;
}

export function container(
  rel: Relationship,
  concept: CodedConcept,
  children: ContentItem[],
  templateId?: string,
): ContentItem {
  const item = base(rel, 'CONTAINER', concept, children);
  item.ContinuityOfContent = 'SEPARATE';
  if (templateId) item.ContentTemplateSequence = [{ MappingResource: 'DCMR', TemplateIdentifier: templateId }];
  return item;
}

export function codeContent(rel: Relationship, concept: CodedConcept, value: CodedConcept, children?: ContentItem[]): ContentItem {
  return { ...base(rel, 'CODE', concept, children), ConceptCodeSequence: [codeItem(value)] };
}

/** TEXT item; UT holds any length, but an empty TextValue is not allowed (Type 1), so empty text becomes "-". */
export function textContent(rel: Relationship, concept: CodedConcept, text: string, children?: ContentItem[]): ContentItem {
  return { ...base(rel, 'TEXT', concept, children), TextValue: text.trim() || '-' };
}

export function dateContent(rel: Relationship, concept: CodedConcept, date: string): ContentItem {
  return { ...base(rel, 'DATE', concept), Date: date };
}

export function timeContent(rel: Relationship, concept: CodedConcept, time: string): ContentItem {
  return { ...base(rel, 'TIME', concept), Time: time };
}

export function uidrefContent(rel: Relationship, concept: CodedConcept, uid: string): ContentItem {
  return { ...base(rel, 'UIDREF', concept), UID: uid };
}

/** Rounds to `digits` significant decimals so DS stays short and reports stay readable. */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function numContent(
  rel: Relationship,
  concept: CodedConcept,
  value: number,
  unit: CodedConcept,
  children?: ContentItem[],
): ContentItem {
  // Named here, not as an anonymous DS error in the writer: which measurement could not be computed.
  if (!Number.isFinite(value)) throw new EncoderInputError(`NUM "${concept.meaning}" has no finite value (${value})`, 'not-finite');
  return {
    ...base(rel, 'NUM', concept, children),
    MeasuredValueSequence: [{ NumericValue: value, MeasurementUnitsCodeSequence: [codeItem(unit)] }],
  };
}

export interface ImageRef {
  sopClassUid: string;
  sopInstanceUid: string;
  segmentNumbers?: number[];
  frameNumbers?: number[];
}

export function imageContent(rel: Relationship, concept: CodedConcept | undefined, ref: ImageRef): ContentItem {
  const sop: DicomJson = { ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid };
  if (ref.frameNumbers?.length) sop.ReferencedFrameNumber = ref.frameNumbers;
  if (ref.segmentNumbers?.length) sop.ReferencedSegmentNumber = ref.segmentNumbers;
  return { ...base(rel, 'IMAGE', concept), ReferencedSOPSequence: [sop] };
}

/**
 * SCOORD item: 2D image coordinates (column, row pairs; (0,0) is the top left corner of the top left pixel, so a
 * pixel centre is at +0.5) on the image its SELECTED FROM child names.
 */
export function scoordContent(rel: Relationship, graphicType: 'POINT' | 'POLYLINE', graphicData: number[], image: ImageRef): ContentItem {
  return { ...base(rel, 'SCOORD', undefined, [imageContent('SELECTED FROM', undefined, image)]), GraphicType: graphicType, GraphicData: graphicData };
}

/** Every CodingSchemeDesignator used anywhere in a tree (to declare the non-standard ones). */
export function codingSchemesUsed(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) codingSchemesUsed(n, out);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'CodingSchemeDesignator' && typeof v === 'string') out.add(v);
      else if (typeof v === 'object') codingSchemesUsed(v, out);
    }
  }
  return out;
}
