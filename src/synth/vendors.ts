/**
 * Vendor-like series headers for Siemens, GE and Philips: the SeriesDescription / ProtocolName strings, sequence
 * names and MR acquisition parameters real scanners write (published vendor naming and real
 * series descriptions). Includes the known traps on purpose: GE's exam-level ProtocolName, Philips
 * 3D TFE with TR ~8 ms and InversionTime 0, Siemens "tirm"/"dark-fluid" FLAIR names, numbered Philips series.
 * Values are drawn within the published ranges so series identification cannot key on one exact number.
 */
import type { NaturalDataset } from '../dicom/p10';
import type { PlaneOrientation } from './acquisition';
import type { Rng } from './random';

export const VENDORS = ['siemens', 'ge', 'philips'] as const;
export type Vendor = (typeof VENDORS)[number];

export function isVendor(s: string): s is Vendor {
  return (VENDORS as readonly string[]).includes(s);
}

export type SeriesKind = 'localizer' | 't1' | 't1ce' | 't2' | 'flair' | 'dwi' | 'adc' | 'swi' | 'dsc' | 'mpr' | 'screenshot';

export interface Scanner {
  vendor: Vendor;
  manufacturer: string;
  model: string;
  fieldStrength: 1.5 | 3;
  software: string;
  stationName: string;
  /** Whether this scanner writes Enhanced MR (multi-frame) objects for its 3-D series. */
  writesEnhanced: boolean;
  /** Exam-level protocol name (GE writes it as every series' ProtocolName). */
  examProtocol: string;
  studyDescription: string;
  contrastAgent: string;
}

export function pickScanner(vendor: Vendor, rng: Rng): Scanner {
  const r = rng.fork('scanner');
  const agent = r.pick(['Gadovist', 'DOTAREM', 'MultiHance', 'Clariscan', 'ProHance']);
  switch (vendor) {
    case 'siemens': {
      const m = r.pick([
        { model: 'Skyra', field: 3 as const, sw: 'syngo MR E11', enh: false, mf: 'SIEMENS' },
        { model: 'Prisma_fit', field: 3 as const, sw: 'syngo MR E11', enh: false, mf: 'SIEMENS' },
        { model: 'Verio', field: 3 as const, sw: 'syngo MR B17', enh: false, mf: 'SIEMENS' },
        { model: 'Aera', field: 1.5 as const, sw: 'syngo MR E11', enh: false, mf: 'SIEMENS' },
        { model: 'Avanto_fit', field: 1.5 as const, sw: 'syngo MR E11', enh: false, mf: 'SIEMENS' },
        { model: 'MAGNETOM Vida', field: 3 as const, sw: 'syngo MR XA31', enh: true, mf: 'Siemens Healthineers' },
      ]);
      return {
        vendor, manufacturer: m.mf, model: m.model, fieldStrength: m.field, software: m.sw,
        stationName: `MRC${r.int(10000, 99999)}`, writesEnhanced: m.enh, examProtocol: 'Neuro^Tumour',
        studyDescription: r.pick(['Head^Neuro', 'Neuro^Tumour', 'MRT Schaedel nativ+KM']), contrastAgent: agent,
      };
    }
    case 'ge': {
      const m = r.pick([
        { model: 'DISCOVERY MR750', field: 3 as const, sw: '27\\LX\\MR Software release:DV26.0_R03_1831.b' },
        { model: 'DISCOVERY MR750w', field: 3 as const, sw: '25\\LX\\MR Software release:DV25.1_R02_1649.a' },
        { model: 'SIGNA Premier', field: 3 as const, sw: '29\\LX\\MR Software release:RX29.1_R01' },
        { model: 'Optima MR450w', field: 1.5 as const, sw: '25\\LX\\MR Software release:DV25.0_R02_1549.b' },
        { model: 'SIGNA Artist', field: 1.5 as const, sw: '28\\LX\\MR Software release:RX28.0_R04_2039.a' },
      ]);
      const exam = r.pick(['BRAIN TUMOR W/WO', 'BRAIN WITH AND WITHOUT', 'BRAIN W/WO CONTRAST']);
      return {
        vendor, manufacturer: 'GE MEDICAL SYSTEMS', model: m.model, fieldStrength: m.field, software: m.sw,
        stationName: `GEMR${r.int(100, 999)}`, writesEnhanced: false, examProtocol: exam,
        studyDescription: exam, contrastAgent: agent,
      };
    }
    case 'philips': {
      const m = r.pick([
        { model: 'Ingenia', field: 3 as const },
        { model: 'Achieva dStream', field: 3 as const },
        { model: 'Ingenia', field: 1.5 as const },
        { model: 'Achieva', field: 1.5 as const },
      ]);
      return {
        vendor, manufacturer: r.pick(['Philips Medical Systems', 'Philips Healthcare']), model: m.model,
        fieldStrength: m.field, software: r.pick(['5.6.1\\5.6.1.2', '5.4.1\\5.4.1.1', '5.7.1\\5.7.1.0']),
        stationName: `PHILIPS-${r.int(1000, 9999)}`, writesEnhanced: r.chance(0.5), examProtocol: 'MR Brain Tumour',
        studyDescription: r.pick(['MR Brain Tumour', 'MRI HERSENEN', 'Brain^Tumour Protocol']), contrastAgent: agent,
      };
    }
  }
}

export interface SeriesContext {
  rng: Rng;
  scanner: Scanner;
  orientation: PlaneOrientation;
  threeD: boolean;
  /** Reformat / ADC: the description of the source series. */
  sourceDescription?: string;
}

export interface SeriesDescriptor {
  description: string;
  protocolName: string;
  /** MR acquisition attributes (ScanningSequence, TR, TE, ...), ImageType and friends. */
  attrs: NaturalDataset;
  /** Enhanced MR AcquisitionContrast of the series. */
  acquisitionContrast: string;
}

const ORI = {
  siemens: { axial: 'tra', sagittal: 'sag', coronal: 'cor' },
  ge: { axial: 'AX', sagittal: 'SAG', coronal: 'COR' },
  philips: { axial: 'tra', sagittal: 'sag', coronal: 'cor' },
} as const;

const round = (v: number, d = 2): number => Number(v.toFixed(d));

/** Header of one series kind on one vendor's scanner. */
export function seriesHeader(kind: SeriesKind, ctx: SeriesContext): SeriesDescriptor {
  const { rng: r, scanner } = ctx;
  const v = scanner.vendor;
  const o = ORI[v][ctx.orientation];
  const at3 = scanner.fieldStrength === 3;
  const h = (description: string, attrs: NaturalDataset, contrast: string, protocol = description): SeriesDescriptor => ({
    description, protocolName: v === 'ge' ? scanner.examProtocol : protocol, attrs, acquisitionContrast: contrast,
  });
  const imageType = (...t: string[]): { ImageType: string[] } => ({ ImageType: t });
  switch (kind) {
    case 'localizer':
      if (v === 'siemens') {
        return h(r.pick(['localizer', 'Localizer', 'AAHead_Scout_64ch-head-coil']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'M', 'NORM', 'DIS2D'), ScanningSequence: 'GR', SequenceVariant: ['SP', 'OSP'],
          ScanOptions: '', SequenceName: '*fl2d1', MRAcquisitionType: '2D', RepetitionTime: 8.6, EchoTime: 4, FlipAngle: 20,
          EchoTrainLength: 1,
        }, 'T1');
      }
      if (v === 'ge') {
        return h(r.pick(['3-Plane Loc', '3Plane Loc SSFSE', '3-pl T2* FGR loc']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: 'GR', SequenceVariant: 'SS',
          ScanOptions: ['FAST_GEMS'], SequenceName: 'fgre', MRAcquisitionType: '2D', RepetitionTime: round(r.uniform(4.8, 5.6)),
          EchoTime: round(r.uniform(1.4, 1.8)), FlipAngle: 30, EchoTrainLength: 1,
        }, 'T1');
      }
      return h(r.pick(['Survey', 'SURVEY', 'SmartSurvey']), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_FFE', 'M', 'FFE'), ScanningSequence: 'GR', SequenceVariant: 'SP',
        ScanOptions: '', SequenceName: '', MRAcquisitionType: '2D', RepetitionTime: 11, EchoTime: 4.6, FlipAngle: 15, EchoTrainLength: 1,
      }, 'T1');
    case 't1':
    case 't1ce': {
      const post = kind === 't1ce';
      if (v === 'siemens') {
        const base = r.pick([`t1_mprage_${o}_p2_iso`, `t1_mprage_${o}_iso`, `T1 MPRAGE ${o.toUpperCase()}`, `t1_mprage_${o}`]);
        const d = post ? `${base}${r.pick(['_post', ' +Gd', ' post gad', '_KM'])}` : base;
        return h(d, {
          ...imageType('ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM'), ScanningSequence: ['GR', 'IR'],
          SequenceVariant: ['SK', 'SP', 'MP'], ScanOptions: ['IR'], SequenceName: '*tfl3d1_16ns', MRAcquisitionType: '3D',
          RepetitionTime: at3 ? r.pick([1900, 2000, 2300]) : r.pick([2000, 2200]), EchoTime: round(r.uniform(2.2, 3.1)),
          InversionTime: at3 ? r.pick([900, 1000]) : r.pick([1100, 1000]), FlipAngle: r.pick([8, 9]), EchoTrainLength: 1,
          PixelBandwidth: r.pick([200, 210, 240]),
        }, 'T1');
      }
      if (v === 'ge') {
        const base = r.pick([`${o} 3D T1 BRAVO`, `${o === 'SAG' ? 'Sag' : 'Ax'} T1 BRAVO`, `${o} T1 3D BRAVO`]);
        const d = post ? r.pick([`${base} +C`, `${base}+C`, `+C ${base}`]) : base;
        return h(d, {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: ['GR', 'IR'], SequenceVariant: ['SS', 'SK'],
          ScanOptions: ['FAST_GEMS', 'EDR_GEMS', 'FILTERED_GEMS', 'ACC_GEMS', 'IR_GEMS'], SequenceName: 'efgre3d',
          MRAcquisitionType: '3D', RepetitionTime: round(r.uniform(7.6, 8.8)), EchoTime: round(r.uniform(2.9, 3.4)),
          InversionTime: r.pick([400, 450, 500]), FlipAngle: 12, EchoTrainLength: 1, PixelBandwidth: 244.1,
        }, 'T1');
      }
      {
        const base = r.pick(['T1W_3D_TFE', 'sT1W_3D_TFE', `3D_T1W_TFE_${o}`]);
        const d = post ? `${base}${r.pick([' +C', '_Gd', '_post', '+GADO'])}` : base;
        return h(d, {
          ...imageType('ORIGINAL', 'PRIMARY', 'M_FFE', 'M', 'FFE'), ScanningSequence: 'GR', SequenceVariant: 'MP',
          // Real Philips 3D TFE headers carry InversionTime 0 with ScanningSequence GR; that is a dciodvfy error
          // (TI present without IR), so it is left out here.
          ScanOptions: '', SequenceName: '', MRAcquisitionType: '3D', RepetitionTime: round(r.uniform(7.4, 8.3)),
          EchoTime: round(r.uniform(3.4, 3.8)), FlipAngle: 8, EchoTrainLength: r.pick([150, 200, 240]),
          PixelBandwidth: 191,
        }, 'T1');
      }
    }
    case 't2':
      if (v === 'siemens') {
        return h(r.pick([`t2_tse_${o}_512`, `t2_tse_${o}_p2`, `t2_tse_${o}`, `T2 TSE ${o.toUpperCase()}`]), {
          ...imageType('ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM'), ScanningSequence: 'SE', SequenceVariant: ['SK', 'SP', 'OSP'],
          ScanOptions: ['PFP'], SequenceName: r.pick(['*tse2d1_15', '*tse2d1_11', '*tse2d1_17']), MRAcquisitionType: '2D',
          RepetitionTime: r.int(4000, 6500), EchoTime: r.pick([84, 91, 96, 101]), FlipAngle: 150, EchoTrainLength: 15,
          PixelBandwidth: 222,
        }, 'T2');
      }
      if (v === 'ge') {
        return h(r.pick([`${o} T2 FRFSE`, 'Ax T2 PROPELLER', `${o} T2 FSE`, 'AXIAL T2']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: 'SE', SequenceVariant: 'SK',
          ScanOptions: ['FAST_GEMS', 'EDR_GEMS', 'FILTERED_GEMS'], SequenceName: 'frfse', MRAcquisitionType: '2D',
          RepetitionTime: r.int(4500, 6200), EchoTime: round(r.uniform(95, 108)), FlipAngle: 111, EchoTrainLength: r.pick([18, 20, 24]),
          PixelBandwidth: 162.8,
        }, 'T2');
      }
      return h(r.pick(['T2W_TSE', `T2W_TSE_${o}`, 'AX T2W TSE', 'T2_TSE_tra_HR']), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_SE', 'M', 'SE'), ScanningSequence: 'SE', SequenceVariant: 'SK', ScanOptions: '',
        SequenceName: '', MRAcquisitionType: '2D', RepetitionTime: r.int(3000, 4500), EchoTime: r.pick([80, 90, 100]),
        FlipAngle: 90, EchoTrainLength: r.pick([15, 16, 18]), PixelBandwidth: 187,
      }, 'T2');
    case 'flair':
      if (ctx.threeD) {
        if (v === 'siemens') {
          return h(r.pick([`t2_space_dark-fluid_${o}_p3_iso`, `t2_spc_da-fl_${o}_p2_iso`, `3D FLAIR ${o.toUpperCase()}`]), {
            ...imageType('ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM'), ScanningSequence: ['SE', 'IR'], SequenceVariant: ['SK', 'SP', 'MP'],
            ScanOptions: ['IR'], SequenceName: '*spcir_278ns', MRAcquisitionType: '3D', RepetitionTime: 5000,
            EchoTime: r.pick([387, 393, 396]), InversionTime: r.pick([1800, 1650]), FlipAngle: 120, EchoTrainLength: 278,
            PixelBandwidth: 781,
          }, 'FLUID_ATTENUATED');
        }
        if (v === 'ge') {
          return h(r.pick([`${o} CUBE FLAIR`, `${o === 'SAG' ? 'Sag' : 'Ax'} CUBE T2 FLAIR`, `${o} 3D FLAIR CUBE`]), {
            ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: ['SE', 'IR'], SequenceVariant: ['SK', 'SS'],
            ScanOptions: ['FAST_GEMS', 'EDR_GEMS', 'IR_GEMS', 'T2FLAIR_GEMS', 'ACC_GEMS'], SequenceName: 'cube',
            MRAcquisitionType: '3D', RepetitionTime: r.int(6000, 7000), EchoTime: round(r.uniform(110, 135)),
            InversionTime: r.pick([1800, 1860, 1900]), FlipAngle: 90, EchoTrainLength: 200, PixelBandwidth: 244.1,
          }, 'FLUID_ATTENUATED');
        }
        return h(r.pick(['3D_Brain_VIEW_FLAIR', `VISTA_FLAIR_${o}`, '3D FLAIR']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'M_IR', 'M', 'IR'), ScanningSequence: ['SE', 'IR'], SequenceVariant: ['SK', 'MP'],
          ScanOptions: '', SequenceName: '', MRAcquisitionType: '3D', RepetitionTime: 4800, EchoTime: r.pick([300, 320, 340]),
          InversionTime: 1650, FlipAngle: 90, EchoTrainLength: 167, PixelBandwidth: 1002,
        }, 'FLUID_ATTENUATED');
      }
      if (v === 'siemens') {
        return h(r.pick([`t2_tirm_${o}_dark-fluid`, `t2_tirm_${o}_dark-fluid_p2`, `t2_flair_${o}`, `FLAIR ${o.toUpperCase()}`]), {
          ...imageType('ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM'), ScanningSequence: ['SE', 'IR'],
          SequenceVariant: ['SK', 'SP', 'MP', 'OSP'], ScanOptions: ['IR', 'PFP'], SequenceName: r.pick(['*tir2d1_21', '*tir2d1_16']),
          MRAcquisitionType: '2D', RepetitionTime: r.pick([8000, 9000, 9500]), EchoTime: r.pick([81, 85, 89]),
          InversionTime: r.pick([2500, 2370]), FlipAngle: 150, EchoTrainLength: 16, PixelBandwidth: 287,
        }, 'FLUID_ATTENUATED');
      }
      if (v === 'ge') {
        return h(r.pick([`${o} T2 FLAIR`, `${o === 'AX' ? 'Ax' : 'Cor'} T2 FLAIR`, `${o} FLAIR`]), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: ['SE', 'IR'], SequenceVariant: ['SK', 'SS'],
          ScanOptions: ['FAST_GEMS', 'IR_GEMS', 'T2FLAIR_GEMS', 'FILTERED_GEMS'], SequenceName: 'fsefr',
          MRAcquisitionType: '2D', RepetitionTime: r.int(8000, 9500), EchoTime: round(r.uniform(120, 145)),
          InversionTime: r.pick([2000, 2200, 2400]), FlipAngle: r.pick([90, 111]), EchoTrainLength: r.pick([20, 24]),
          PixelBandwidth: 195.3,
        }, 'FLUID_ATTENUATED');
      }
      return h(r.pick(['T2W_FLAIR', 'FLAIR_LongTR', `T2W_FLAIR_${o}`, `${o.toUpperCase()} FLAIR`]), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_IR', 'M', 'IR'), ScanningSequence: ['SE', 'IR'], SequenceVariant: ['SK', 'MP'],
        ScanOptions: '', SequenceName: '', MRAcquisitionType: '2D', RepetitionTime: r.pick([11000, 10000, 9000]),
        EchoTime: r.pick([120, 125, 140]), InversionTime: r.pick([2800, 2600, 2500]), FlipAngle: 90, EchoTrainLength: 31,
        PixelBandwidth: 218,
      }, 'FLUID_ATTENUATED');
    case 'dwi':
      if (v === 'siemens') {
        return h(r.pick(['ep2d_diff_3scan_trace_p2', 'ep2d_diff_tra_b1000', 'DWI_tra']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'DIFFUSION', 'NONE', 'ND', 'NORM'), ScanningSequence: 'EP',
          SequenceVariant: ['SK', 'SP'], ScanOptions: ['PFP', 'FS'], SequenceName: '*ep_b0', MRAcquisitionType: '2D',
          RepetitionTime: r.int(5000, 6800), EchoTime: r.pick([80, 89, 94]), FlipAngle: 90, EchoTrainLength: 1, PixelBandwidth: 1000,
        }, 'DIFFUSION');
      }
      if (v === 'ge') {
        return h(r.pick(['AX DWI 1000b', 'Ax DWI Asset', 'AX DIFFUSION']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: ['EP', 'SE'], SequenceVariant: ['SK', 'SS'],
          ScanOptions: ['EPI_GEMS', 'ACC_GEMS', 'FILTERED_GEMS'], SequenceName: 'epi2', MRAcquisitionType: '2D',
          RepetitionTime: r.int(6000, 8000), EchoTime: round(r.uniform(70, 86)), FlipAngle: 90, EchoTrainLength: 1, PixelBandwidth: 1953,
        }, 'DIFFUSION');
      }
      return h(r.pick(['DWI', 'DWI_SE', 'sDWI', 'DwiSE']), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_SE', 'M', 'SE'), ScanningSequence: ['SE', 'EP'], SequenceVariant: 'SK',
        ScanOptions: ['FS'], SequenceName: '', MRAcquisitionType: '2D', RepetitionTime: r.int(3000, 5000), EchoTime: r.pick([70, 80, 90]),
        FlipAngle: 90, EchoTrainLength: 55, PixelBandwidth: 1500,
      }, 'DIFFUSION');
    case 'adc': {
      const src = ctx.sourceDescription ?? 'DWI';
      const d = v === 'siemens' ? `${src}_ADC` : v === 'ge' ? 'Apparent Diffusion Coefficient (mm2/s)' : r.pick(['dADC', `${src}_ADC`]);
      return h(d, {
        ...imageType('DERIVED', 'PRIMARY', 'DIFFUSION', 'ADC'), ScanningSequence: 'EP', SequenceVariant: ['SK', 'SP'],
        ScanOptions: '', SequenceName: v === 'siemens' ? '*ep_b0_1000' : '', MRAcquisitionType: '2D', EchoTrainLength: 1,
      }, 'DIFFUSION');
    }
    case 'swi':
      if (v === 'siemens') {
        return h(r.pick(['SWI_Images', 't2_swi_tra_p2_2mm_SWI', 't2_fl2d_tra_hemo']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'M', 'SWI', 'ND', 'NORM'), ScanningSequence: 'GR', SequenceVariant: ['SP', 'OSP'],
          ScanOptions: '', SequenceName: '*swi3d1r', MRAcquisitionType: '3D', RepetitionTime: 28, EchoTime: 20, FlipAngle: 15,
          EchoTrainLength: 1, PixelBandwidth: 120,
        }, 'T2_STAR');
      }
      if (v === 'ge') {
        return h(r.pick(['AX SWAN', 'Ax SWAN', 'AXIAL SWAN']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: 'GR', SequenceVariant: 'SS',
          ScanOptions: ['FAST_GEMS', 'EDR_GEMS'], SequenceName: 'swan', MRAcquisitionType: '3D', RepetitionTime: 40,
          EchoTime: 25, FlipAngle: 15, EchoTrainLength: 1, PixelBandwidth: 62.5,
        }, 'T2_STAR');
      }
      return h(r.pick(['SWIp', 'SWIp_tra', 'T2*_FFE']), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_FFE', 'M', 'FFE'), ScanningSequence: 'GR', SequenceVariant: 'SP',
        ScanOptions: '', SequenceName: '', MRAcquisitionType: '3D', RepetitionTime: 31, EchoTime: 7.2, FlipAngle: 17,
        EchoTrainLength: 5, PixelBandwidth: 434,
      }, 'T2_STAR');
    case 'dsc':
      if (v === 'siemens') {
        return h(r.pick(['ep2d_perf', 'ep2d_perf_p2', 'PERFUSION']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'PERFUSION', 'NONE', 'ND'), ScanningSequence: 'EP', SequenceVariant: ['SK', 'SP'],
          ScanOptions: ['FS'], SequenceName: '*epfid2d1_128', MRAcquisitionType: '2D', RepetitionTime: r.pick([1500, 1600]),
          EchoTime: r.pick([30, 32]), FlipAngle: 90, EchoTrainLength: 1, PixelBandwidth: 1346,
        }, 'PERFUSION');
      }
      if (v === 'ge') {
        return h(r.pick(['AX PERFUSION', 'Perfusion DSC', 'AX PERF']), {
          ...imageType('ORIGINAL', 'PRIMARY', 'OTHER'), ScanningSequence: ['EP', 'GR'], SequenceVariant: 'SS',
          ScanOptions: ['EPI_GEMS', 'ACC_GEMS'], SequenceName: 'epiRT', MRAcquisitionType: '2D', RepetitionTime: 1500,
          EchoTime: 30, FlipAngle: 60, EchoTrainLength: 1, PixelBandwidth: 3906,
        }, 'PERFUSION');
      }
      return h(r.pick(['PERFUSION', 'DSC_PERF', 'Perfusie']), {
        ...imageType('ORIGINAL', 'PRIMARY', 'M_FFE', 'M', 'FFE'), ScanningSequence: 'GR', SequenceVariant: 'SP',
        ScanOptions: ['FS'], SequenceName: '', MRAcquisitionType: '2D', RepetitionTime: 1500, EchoTime: 40, FlipAngle: 75,
        EchoTrainLength: 47, PixelBandwidth: 1800,
      }, 'PERFUSION');
    case 'mpr': {
      const src = ctx.sourceDescription ?? 'T1';
      if (v === 'siemens') {
        return h(`${src}_MPR_${o === 'cor' ? 'Cor' : o === 'sag' ? 'Sag' : 'Tra'}`, {
          ...imageType('DERIVED', 'SECONDARY', 'MPR', 'CSA MPR', 'CSAPARALLEL', 'M', 'ND', 'NORM'), ScanningSequence: ['GR', 'IR'],
          SequenceVariant: ['SK', 'SP', 'MP'], ScanOptions: ['IR'], SequenceName: '*tfl3d1_16ns', MRAcquisitionType: '3D',
          EchoTrainLength: 1,
        }, 'T1');
      }
      if (v === 'ge') {
        return h(r.pick([`${o} REFORMAT T1+C`, 'REFORMATTED', `${o} T1 BRAVO+C REFORMAT`]), {
          ...imageType('DERIVED', 'SECONDARY', 'REFORMATTED', 'AVERAGE'), ScanningSequence: 'GR', SequenceVariant: ['SS', 'SK'],
          ScanOptions: ['FAST_GEMS'], SequenceName: 'efgre3d', MRAcquisitionType: '3D', EchoTrainLength: 1,
        }, 'T1');
      }
      return h(`MPR ${src} ${o.toUpperCase()}`, {
        ...imageType('DERIVED', 'SECONDARY', 'MPR'), ScanningSequence: 'GR', SequenceVariant: 'MP', ScanOptions: '',
        SequenceName: '', MRAcquisitionType: '3D', EchoTrainLength: 1,
      }, 'T1');
    }
    case 'screenshot':
      return h(v === 'ge' ? 'SCREEN SAVE' : v === 'philips' ? 'Capture' : 'Screen Save', {}, 'UNKNOWN');
  }
}
