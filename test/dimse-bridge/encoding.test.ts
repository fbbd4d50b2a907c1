/** Pure pieces of the DIMSE bridge: Part 10 header, C-STORE-RSP encoding, negotiation decisions, status texts. */
import { Dataset } from 'dcmjs-dimse';
import { readP10, writeP10 } from '../../src/dicom/p10';
import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { buildFileMetaHeader } from '../../src/dimse-bridge/file-meta';
import { encodeStoreResponsePdu } from '../../src/dimse-bridge/store-response';
import { decideContext, planSend, proposeContexts, ContextResult } from '../../src/dimse-bridge/negotiation';
import { describeRejection, isStoredStatus } from '../../src/dimse-bridge/conformance';
import { splitP10 } from '../../src/dimse-bridge/p10-split';

const sop = '1.2.3.4.5.6.7';

describe('Part 10 header for a received data set', () => {
  it('makes a file dcmjs reads back with the received transfer syntax and data set', () => {
    const full = writeP10({ SOPClassUID: SopClass.MRImage, SOPInstanceUID: sop, StudyInstanceUID: '1.2.3', SeriesInstanceUID: '1.2.3.1', Modality: 'MR' });
    const { datasetOffset } = splitP10(full);
    const header = buildFileMetaHeader({ sopClassUid: SopClass.MRImage, sopInstanceUid: sop, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, sourceAeTitle: 'MRI1' });
    const file = Buffer.concat([header, full.subarray(datasetOffset)]);
    const parsed = readP10(file);
    expect(parsed.meta.TransferSyntaxUID).toBe(TransferSyntax.ExplicitVRLittleEndian);
    expect(parsed.meta.MediaStorageSOPInstanceUID).toBe(sop);
    expect(parsed.meta.SourceApplicationEntityTitle).toBe('MRI1');
    expect(parsed.dataset.Modality).toBe('MR');
    // The data set part is byte-identical to what was "received".
    expect(file.subarray(splitP10(file).datasetOffset).equals(full.subarray(datasetOffset))).toBe(true);
  });

  it('pads odd-length UIDs with NUL and keeps the group length exact', () => {
    const h = buildFileMetaHeader({ sopClassUid: '1.2.3', sopInstanceUid: '1.2.33', transferSyntaxUid: TransferSyntax.JpegLsLossless });
    const groupLength = h.readUInt32LE(140);
    expect(h.length).toBe(144 + groupLength);
    expect(splitP10(h)).toMatchObject({ sopClassUid: '1.2.3', sopInstanceUid: '1.2.33', transferSyntaxUid: TransferSyntax.JpegLsLossless, datasetOffset: h.length });
  });
});

describe('C-STORE-RSP encoding', () => {
  it('is a P-DATA-TF with one last-fragment command PDV that dcmjs-dimse decodes', () => {
    const pdu = encodeStoreResponsePdu({ presentationContextId: 7, messageIdBeingRespondedTo: 42, sopClassUid: SopClass.MRImage, sopInstanceUid: sop, status: 0xa700, errorComment: 'disk full' });
    expect(pdu[0]).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(pdu.length - 10);
    expect(pdu[10]).toBe(7);
    expect(pdu[11]).toBe(0x03);
    const cmd = new Dataset(pdu.subarray(12), TransferSyntax.ImplicitVRLittleEndian).getElements();
    expect(cmd).toMatchObject({
      CommandField: 0x8001,
      MessageIDBeingRespondedTo: 42,
      CommandDataSetType: 0x0101,
      Status: 0xa700,
      AffectedSOPClassUID: SopClass.MRImage,
      AffectedSOPInstanceUID: sop,
      ErrorComment: 'disk full',
    });
    expect(cmd.CommandGroupLength).toBe(pdu.length - 12 - 12);
  });
});

describe('SCP presentation-context decisions', () => {
  const pc = (abstractSyntaxUid: string, ...ts: string[]) => ({ id: 1, abstractSyntaxUid, transferSyntaxUids: ts });
  it('accepts the sender first choice of a supported compressed syntax (stored as received)', () => {
    expect(decideContext(pc(SopClass.MRImage, TransferSyntax.JpegLsLossless, TransferSyntax.ExplicitVRLittleEndian))).toMatchObject({
      result: ContextResult.Accept,
      transferSyntaxUid: TransferSyntax.JpegLsLossless,
    });
  });
  it('prefers explicit over implicit VR little endian', () => {
    expect(decideContext(pc(SopClass.Segmentation, TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian)).transferSyntaxUid).toBe(
      TransferSyntax.ExplicitVRLittleEndian,
    );
  });
  it('rejects unsupported SOP classes and syntaxes with the right result', () => {
    expect(decideContext(pc('1.2.840.10008.5.1.4.1.1.2', TransferSyntax.ExplicitVRLittleEndian)).result).toBe(ContextResult.AbstractSyntaxNotSupported);
    expect(decideContext(pc(SopClass.MRImage, TransferSyntax.ExplicitVRBigEndian, '1.2.840.10008.1.2.4.100')).result).toBe(ContextResult.TransferSyntaxesNotSupported);
    expect(decideContext(pc(SopClass.Verification, TransferSyntax.ImplicitVRLittleEndian)).result).toBe(ContextResult.Accept);
  });
});

describe('SCU proposals and per-object plans', () => {
  it('proposes plain syntaxes per SOP class plus one context per compressed syntax', () => {
    const p = proposeContexts([
      { sopClassUid: SopClass.Segmentation, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian },
      { sopClassUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.JpegLsLossless },
      { sopClassUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian },
    ]);
    expect(p).toEqual([
      { abstractSyntaxUid: SopClass.Segmentation, transferSyntaxUids: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] },
      { abstractSyntaxUid: SopClass.MRImage, transferSyntaxUids: [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian] },
      { abstractSyntaxUid: SopClass.MRImage, transferSyntaxUids: [TransferSyntax.JpegLsLossless] },
    ]);
  });
  it('sends as is, re-encodes between plain syntaxes, or refuses with a reason', () => {
    const accepted = [{ abstractSyntaxUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian }];
    expect(planSend({ sopClassUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian }, accepted)).toEqual({ ok: true, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian, reencode: false });
    expect(planSend({ sopClassUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian }, accepted)).toEqual({ ok: true, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian, reencode: true });
    const jls = planSend({ sopClassUid: SopClass.MRImage, transferSyntaxUid: TransferSyntax.JpegLsLossless }, accepted);
    expect(jls.ok).toBe(false);
    expect(!jls.ok && jls.reason).toMatch(/does not transcode/);
    const seg = planSend({ sopClassUid: SopClass.Segmentation, transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian }, accepted);
    expect(!seg.ok && seg.reason).toMatch(/abstract syntax not supported/);
  });
});

describe('status and rejection texts', () => {
  it('names A-ASSOCIATE-RJ fields as PS3.8 does', () => {
    expect(describeRejection({ result: 1, source: 1, reason: 3 })).toBe('rejected-permanent by service-user: calling-AE-title-not-recognized');
    expect(describeRejection({ result: 1, source: 1, reason: 7 })).toBe('rejected-permanent by service-user: called-AE-title-not-recognized');
    expect(describeRejection({ result: 2, source: 3, reason: 2 })).toBe('rejected-transient by service-provider (presentation): local-limit-exceeded');
  });
  it('counts success and warnings as stored, failures not', () => {
    expect([0x0000, 0xb000, 0xb007].every(isStoredStatus)).toBe(true);
    expect([0xa700, 0xa900, 0xc000, 0x0110, 0x0122].some(isStoredStatus)).toBe(false);
  });
});
