/** SOP Class and Transfer Syntax UIDs the node names in code, conformance and tests. */

export const SopClass = {
  MRImage: '1.2.840.10008.5.1.4.1.1.4',
  EnhancedMRImage: '1.2.840.10008.5.1.4.1.1.4.1',
  SecondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  MultiframeGrayscaleByteSC: '1.2.840.10008.5.1.4.1.1.7.2',
  MultiframeGrayscaleWordSC: '1.2.840.10008.5.1.4.1.1.7.3',
  MultiframeTrueColorSC: '1.2.840.10008.5.1.4.1.1.7.4',
  Segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  LabelMapSegmentation: '1.2.840.10008.5.1.4.1.1.66.7',
  BasicTextSR: '1.2.840.10008.5.1.4.1.1.88.11',
  EnhancedSR: '1.2.840.10008.5.1.4.1.1.88.22',
  ComprehensiveSR: '1.2.840.10008.5.1.4.1.1.88.33',
  Comprehensive3DSR: '1.2.840.10008.5.1.4.1.1.88.34',
  EncapsulatedPDF: '1.2.840.10008.5.1.4.1.1.104.1',
  KeyObjectSelection: '1.2.840.10008.5.1.4.1.1.88.59',
  Verification: '1.2.840.10008.1.1',
} as const;

export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  JpegLossless: '1.2.840.10008.1.2.4.57',
  JpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  JpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  RleLossless: '1.2.840.10008.1.2.5',
} as const;

/** Transfer syntaxes whose pixel data is encapsulated (compressed fragments). */
export const ENCAPSULATED_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLosslessSV1,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsNearLossless,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.RleLossless,
]);

/** The node's implementation identity, written into File Meta and equipment modules. */
export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1453.1';
export const IMPLEMENTATION_VERSION_NAME = 'NEURO_ONC_010';

/** Explicit VRs with a 2-byte reserved field and a 4-byte value length (PS3.5 7.1.2); the others have 2 bytes. */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** VRs whose value is raw bytes (no text, no numbers to decode). */
export const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Item, Item Delimitation and Sequence Delimitation tags (PS3.5 7.5), as group << 16 | element. */
export const ITEM = 0xfffee000;
export const ITEM_DELIM = 0xfffee00d;
export const SEQ_DELIM = 0xfffee0dd;
/** The value length that means "undefined length, ends with a delimiter". */
export const UNDEFINED_LENGTH = 0xffffffff;

/** (7FE0,0010) Pixel Data, and the three top-level pixel data elements (Float, Double Float, Pixel Data). */
export const PIXEL_DATA = 0x7fe00010;
export const PIXEL_DATA_TAGS: ReadonlySet<number> = new Set([0x7fe00008, 0x7fe00009, PIXEL_DATA]);
