// Minimal typings for the parts of dcmjs the node uses (dcmjs ships none).
declare module 'dcmjs' {
  export interface DicomElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
    BulkDataURI?: string;
  }
  export type DicomDataset = Record<string, DicomElement>;
  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }
  export class DicomDict {
    constructor(meta: DicomDataset);
    meta: DicomDataset;
    dict: DicomDataset;
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }
  export const data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
    };
    DicomDict: typeof DicomDict;
    DicomMetaDictionary: {
      naturalizeDataset(dataset: DicomDataset): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DicomDataset;
      uid(): string;
      date(): string;
      time(): string;
      dictionary: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
      nameMap: Record<string, { tag: string; vr: string; name: string; vm: string; version: string }>;
      sopClassNamesByUID: Record<string, string>;
      sopClassUIDsByName: Record<string, string>;
    };
  };
  export const log: { setLevel(level: string): void; getLevel(): number };
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}
