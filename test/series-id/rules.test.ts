/** The individual rules: traps, multilingual contrast words, field-strength ranges, order, overrides, selection. */
import { ConfigError, parseConfig } from '../../src/config/load';
import { classifyStudy, type SeriesClassification } from '../../src/series-id/classify';
import { parseTimestamp, type SeriesDescriptor } from '../../src/series-id/series-descriptor';
import { compileOverrides } from '../../src/series-id/overrides';
import type { SeriesRole } from '../../src/series-id/roles';

let uid = 0;
function h(sd: string, extra: Partial<SeriesDescriptor> = {}): SeriesDescriptor {
  return { seriesInstanceUid: `2.25.77${++uid}`, seriesDescription: sd, ...extra };
}
const at = (time: string, date = '20240101'): ReturnType<typeof parseTimestamp> => parseTimestamp(date, time);
function one(header: SeriesDescriptor, opts = {}): SeriesClassification {
  return classifyStudy([header], opts).series[0]!;
}
const explain = (s: SeriesClassification): string => `${s.role}: ${s.reasons.join(' | ')}`;

describe('description keywords in several languages decide T1 vs T1ce', () => {
  const cases: Array<[string, SeriesRole]> = [
    ['T1 SE AX KM', 't1ce'], ['T1 tra nativ', 't1'], ['T1 mit KM cor', 't1ce'], ['T1 ohne KM', 't1'], ['T1 tra nach KM', 't1ce'], ['T1 tra vor KM', 't1'],
    ['T1 SE avec gado', 't1ce'], ['T1 SE sans gado', 't1'], ['T1 3D après injection', 't1ce'],
    ['T1 SE con contraste', 't1ce'], ['T1 SE sin contraste', 't1'], ['T1 pós contraste', 't1ce'],
    ['T1 med kontrast', 't1ce'], ['T1 utan kontrast', 't1'], ['T1 etter kontrast', 't1ce'], ['T1 uten kontrast', 't1'], ['T1 +K', 't1ce'], ['T1 -K', 't1'],
    ['T1 SE con mdc', 't1ce'], ['T1 senza mdc', 't1'], ['T1 met contrast', 't1ce'], ['T1 zonder contrast', 't1'],
    ['AX T1 W/ GAD', 't1ce'], ['AX T1 W/O GAD', 't1'], ['Ax T1 pre-contrast', 't1'], ['AX T1 POST-OP', 't1'], ['AX T1 PREP', 't1'],
    ['COR T1 FS +C', 't1ce'], ['AX T1 SE C+', 't1ce'], ['Cor_T1+C_SE_fc_F', 't1ce'], ['T1post', 't1ce'], ['T1CE', 't1ce'], ['t1_vibe_tra_post', 't1ce'],
    ['3D T1 MPRAGE GADOVIST', 't1ce'], ['AX T1 POSTERIOR FOSSA', 't1'], ['AX T1 POST FOSSA', 't1'], ['AX T1 PRE SAT POST', 't1ce'],
  ];
  it.each(cases)('%s → %s', (sd, role) => {
    const s = one(h(sd));
    expect(explain(s)).toMatch(new RegExp(`^${role}:`));
  });

  it('negative words win over positive words and over ContrastBolusAgent', () => {
    const s = one(h('T1 PRE Gd', { contrastBolusAgent: 'Gadovist' }));
    expect(s.role).toBe('t1');
    expect(s.reasons.join(' ')).toMatch(/negative words win/);
  });

  it('ContrastBolusAgent counts, but not NONE / no / n', () => {
    expect(one(h('AX T1 SE', { contrastBolusAgent: 'MultiHance 15 ml' })).role).toBe('t1ce');
    for (const none of ['NONE', 'no', 'n', 'No Contrast', '']) expect(one(h('AX T1 SE', { contrastBolusAgent: none })).role).toBe('t1');
  });

  it('a series acquired before ContrastBolusStartTime is pre-contrast even with the agent filled', () => {
    const s = one(h('AX T1 SE', { contrastBolusAgent: 'Dotarem', contrastBolusStart: at('101500'), acquisitionStart: at('100200') }));
    expect(s.role).toBe('t1');
    expect(s.reasons.join(' ')).toMatch(/before ContrastBolusStartTime/);
  });

  it('an agent filled on every series of the study (even the localizer) is not per-series evidence', () => {
    const agent = { contrastBolusAgent: 'Gadovist' };
    const r = classifyStudy([
      h('3-plane loc', { ...agent, seriesNumber: 1, acquisitionStart: at('090000') }),
      h('AX T1 SE', { ...agent, seriesNumber: 2, acquisitionStart: at('090200') }),
      h('AX T1 SE POST', { ...agent, seriesNumber: 5, acquisitionStart: at('092000') }),
    ]);
    expect(r.series.map((s) => s.role)).toEqual(['other', 't1', 't1ce']);
    expect(r.series[1]!.reasons.join(' ')).toMatch(/filled on every series/);
  });
});

describe('base-contrast traps', () => {
  it('T1-FLAIR, t1_tirm and t1 dark-fluid are T1; T2 FLAIR is FLAIR; FLAIR with TE < 40 is T1', () => {
    expect(one(h('Sag T1 FLAIR')).role).toBe('t1');
    expect(one(h('t1_tirm_sag_p2_320')).role).toBe('t1');
    expect(one(h('t1_tse_dark-fluid_sag_p2')).role).toBe('t1');
    expect(one(h('AX T2 FLAIR')).role).toBe('flair');
    expect(one(h('AX FLAIR', { repetitionTime: 2000, echoTime: 9.8, inversionTime: 900 })).role).toBe('t1');
  });

  it('"TI" is read as a typo for T1, but "TI 2800" is an inversion time', () => {
    expect(explain(one(h('AX TI')))).toMatch(/^t1:.*typo/);
    expect(one(h('Cor FLAIR TI_2800ms')).role).toBe('flair');
  });

  it('Siemens TIRM without a T1/T2 word is decided by TI: STIR, T1 or FLAIR', () => {
    expect(one(h('tirm_cor', { inversionTime: 160, repetitionTime: 4000, echoTime: 40 })).role).toBe('other');
    expect(one(h('tirm_tra', { inversionTime: 2500, repetitionTime: 9000, echoTime: 90 })).role).toBe('flair');
    expect(one(h('tirm_tra')).role).toBe('other');
  });

  it('GE ProtocolName names the exam and is ignored; other vendors\' ProtocolName is read', () => {
    const exam = { protocolName: 'BRAIN WITH CONTRAST' };
    expect(one(h('AX T1 SE', { ...exam, manufacturer: 'GE MEDICAL SYSTEMS' })).role).toBe('t1');
    expect(one(h('AX T1 SE', { ...exam, manufacturer: 'SIEMENS' })).role).toBe('t1ce');
    expect(one(h('', { protocolName: 'T2W_TSE', manufacturer: 'Philips Medical Systems' })).role).toBe('t2');
    expect(one(h('', { protocolName: 'Ax T2 FSE', manufacturer: 'GE MEDICAL SYSTEMS' })).role).toBe('other');
  });

  it('Philips 3D TFE with TR 7.6 ms and TI 0 is T1 (not "no inversion")', () => {
    const s = one(h('', { manufacturer: 'Philips', pulseSequenceName: 'T1TFE', repetitionTime: 7.6, echoTime: 3.5, inversionTime: 0, flipAngle: 8, scanningSequence: ['GR'], sequenceVariant: ['MP'] }));
    expect(explain(s)).toMatch(/^t1:.*T1TFE/);
  });

  it('old GE FLAIR with ScanningSequence RM and no TI is FLAIR from its sequence name and from TR/TE alone', () => {
    const flair = { scanningSequence: ['RM'], repetitionTime: 10002, echoTime: 159.5, flipAngle: 90, manufacturer: 'GE MEDICAL SYSTEMS', magneticFieldStrength: 1.5 };
    expect(one(h('FLAIR', { ...flair, sequenceName: 'flair' })).role).toBe('flair');
    const byPhysics = one(h('', flair));
    expect(explain(byPhysics)).toMatch(/^flair:.*no inversion time recorded/);
  });

  it('Enhanced MR AcquisitionContrast decides first, and the reasons list who agrees', () => {
    const s = one(h('MPRAGE_S2', { acquisitionContrast: 'T1', pulseSequenceName: 'T1TFE', manufacturer: 'Philips' }));
    expect(s.reasons[1]).toMatch(/^T1 from structured: AcquisitionContrast T1/);
    expect(s.reasons.join(' ')).toMatch(/agrees \(keywords\)/);
    expect(one(h('some name', { acquisitionContrast: 'FLUID_ATTENUATED' })).role).toBe('flair');
    expect(one(h('AX T2', { acquisitionContrast: 'DIFFUSION' })).role).toBe('other');
  });

  it('contradictory words give no opinion; a lone post-contrast label is a T1 by convention', () => {
    expect(one(h('T1 T2 combo')).role).toBe('other');
    expect(explain(one(h('STRUC FSGPR Post')))).toMatch(/^t1ce:.*convention/);
    expect(one(h('AX POST', { repetitionTime: 4000, echoTime: 100 })).role).toBe('t2');
  });

  it('exclusions: reformats, maps, SWI, perfusion, our own SEG, secondary captures, phase images', () => {
    const other: Array<[string, Partial<SeriesDescriptor>]> = [
      ['t1_mprage_sag_p2_iso_MPR_Cor', {}], ['T1 MAP', {}], ['SWI_mIP', {}], ['Perfusion DSC', {}], ['3D TOF', {}],
      ['AX T1 POST', { imageType: ['DERIVED', 'SECONDARY', 'MPR'] }],
      ['AX T1 POST', { sopClassUid: '1.2.840.10008.5.1.4.1.1.7' }],
      ['AX T1 POST', { softwareVersions: 'neuro-onc-node 0.1.0' }],
      ['AX T1 POST', { imageType: ['ORIGINAL', 'PRIMARY', 'P', 'ND'] }],
      ['AX T1 POST', { distinctOrientations: 3 }],
      ['AX T1 POST', { numberOfFrames: 3 }],
      ['AX T2', { numberOfFrames: 40, distinctPositions: 20 }],
      ['AX T2', { echoCount: 2 }],
      ['AX T1', { temporalPositions: 40 }],
      ['AX T2', { diffusionBValue: 1000 }],
    ];
    for (const [sd, extra] of other) expect(`${sd} ${JSON.stringify(extra)} → ${one(h(sd, extra)).role}`).toBe(`${sd} ${JSON.stringify(extra)} → other`);
  });

  it('GE ORIGINAL\\PRIMARY\\MPR is an acquired series, not a reformat', () => {
    expect(one(h('AX T2 FSE', { imageType: ['ORIGINAL', 'PRIMARY', 'MPR'] })).role).toBe('t2');
  });

  it('gradient echo words exclude only without a T1 word and with a long TE', () => {
    expect(one(h('AX GRE')).role).toBe('other');
    expect(one(h('AX T2 GRE')).role).toBe('other');
    expect(one(h('AX T1 3D GRE')).role).toBe('t1');
    expect(one(h('T1 FLASH 2D FA 70')).role).toBe('t1'); // a flip angle, not diffusion FA
    expect(one(h('DTI FA')).role).toBe('other');
    expect(one(h('AX 3D GRE POST', { echoTime: 2.5, repetitionTime: 8, flipAngle: 15 })).role).toBe('t1ce');
  });
});

describe('physics ranges are field-strength aware', () => {
  const t1se = { repetitionTime: 1100, echoTime: 12, scanningSequence: ['SE'] };
  it('TR 1100 / TE 12 spin echo is T1 at 3 T but not at 1.5 T (T1 is longer at 3 T)', () => {
    expect(one(h('', { ...t1se, magneticFieldStrength: 3 })).role).toBe('t1');
    expect(one(h('', { ...t1se, magneticFieldStrength: 1.5 })).role).toBe('other');
  });

  it('IR with TI 320 is STIR at 3 T and T1-weighted IR at 1.5 T', () => {
    const ir = { scanningSequence: ['SE', 'IR'], repetitionTime: 2500, echoTime: 20, inversionTime: 320 };
    expect(one(h('', { ...ir, magneticFieldStrength: 3 })).role).toBe('other');
    expect(one(h('', { ...ir, magneticFieldStrength: 1.5 })).role).toBe('t1');
  });

  it('field strength comes from the model name when the tag is missing', () => {
    expect(one(h('', { ...t1se, manufacturer: 'SIEMENS', manufacturerModelName: 'Prisma_fit' })).role).toBe('t1');
    expect(one(h('', { ...t1se, manufacturer: 'SIEMENS', manufacturerModelName: 'Avanto' })).role).toBe('other');
  });

  it('long TR / long TE without a name is T2; PD and T2* are other', () => {
    expect(one(h('', { repetitionTime: 4000, echoTime: 240, flipAngle: 90 })).role).toBe('t2');
    expect(one(h('', { repetitionTime: 2300, echoTime: 22, scanningSequence: ['SE'] })).role).toBe('other');
    expect(one(h('', { repetitionTime: 600, echoTime: 20, flipAngle: 20, scanningSequence: ['GR'] })).role).toBe('other');
  });
});

describe('acquisition order', () => {
  it('a T1 after a T1 labelled post-contrast is post-contrast; before it, pre-contrast', () => {
    const r = classifyStudy([
      h('AX T1 SE', { seriesNumber: 3, acquisitionStart: at('100000') }),
      h('AX T1 SE POST', { seriesNumber: 7, acquisitionStart: at('102000') }),
      h('SAG T1 MPRAGE', { seriesNumber: 8, acquisitionStart: at('102500'), mrAcquisitionType: '3D' }),
    ]);
    expect(r.series.map((s) => s.role)).toEqual(['t1', 't1ce', 't1ce']);
    expect(r.series[2]!.reasons.join(' ')).toMatch(/acquired after series 7 'AX T1 SE POST'/);
    expect(r.selected.t1ce).toBe(r.series[2]!.seriesInstanceUid);
  });

  it('ASL is not a contrast event; DSC is', () => {
    const asl = classifyStudy([h('pCASL', { seriesNumber: 4 }), h('SAG T1 MPRAGE', { seriesNumber: 5 })]);
    expect(asl.series[1]!.role).toBe('t1');
    const dsc = classifyStudy([h('DSC perfusion', { seriesNumber: 4 }), h('SAG T1 MPRAGE', { seriesNumber: 5 })]);
    expect(dsc.series[1]!.role).toBe('t1ce');
  });

  it('times win over series numbers, and a study across midnight is ordered correctly', () => {
    const r = classifyStudy([
      h('ep2d_perf', { seriesNumber: 9, acquisitionStart: parseTimestamp(undefined, '235500') }),
      h('T1 MPRAGE', { seriesNumber: 2, acquisitionStart: parseTimestamp(undefined, '000500') }),
    ]);
    expect(r.series.find((s) => s.seriesDescription === 'T1 MPRAGE')!.role).toBe('t1ce');
  });

  it('falls back to series numbers without times, and says so when it cannot order at all', () => {
    const byNumber = classifyStudy([h('ep2d_perf', { seriesNumber: 6 }), h('T1 MPRAGE', { seriesNumber: 9 })]);
    expect(byNumber.series[1]!.role).toBe('t1ce');
    const unordered = classifyStudy([h('ep2d_perf'), h('T1 MPRAGE')]);
    const t1 = unordered.series.find((s) => s.seriesDescription === 'T1 MPRAGE')!;
    expect(t1.role).toBe('other');
    expect(t1.reasons.join(' ')).toMatch(/cannot be ordered/);
    expect(unordered.missing).toEqual(['t1', 't1ce', 't2', 'flair']);
  });
});

describe('selection among several candidates', () => {
  it('for post-contrast the later of two equal 3D series wins, and both say why', () => {
    const post = { mrAcquisitionType: '3D', minSliceThickness: 1, numberOfFrames: 176 };
    const r = classifyStudy([
      h('T1 MPRAGE POST', { ...post, seriesNumber: 10, acquisitionStart: at('102000') }),
      h('T1 MPRAGE POST', { ...post, seriesNumber: 14, acquisitionStart: at('103500') }),
    ]);
    const [early, late] = r.series;
    expect(late!.selected).toBe(true);
    expect(early!.selected).toBe(false);
    expect(late!.reasons.join(' ')).toMatch(/acquired later after contrast/);
    expect(early!.reasons.join(' ')).toMatch(/not selected: series 14/);
  });

  it('original beats a derived copy; a processed copy is used when it is the only one', () => {
    const r = classifyStudy([
      h('AX FLAIR', { seriesNumber: 5, imageType: ['DERIVED', 'SECONDARY'], mrAcquisitionType: '3D' }),
      h('AX FLAIR', { seriesNumber: 6, imageType: ['ORIGINAL', 'PRIMARY'], mrAcquisitionType: '2D' }),
    ]);
    expect(r.selected.flair).toBe(r.series[1]!.seriesInstanceUid);
    expect(r.series[0]!.reasons.join(' ')).toMatch(/original acquisition beats a copy \(ImageType DERIVED\)/);
    const only = classifyStudy([h('t2_Flair_axial: Processed_CaPTk')]);
    expect(only.selected.flair).toBe(only.series[0]!.seriesInstanceUid);
  });

  it('thinner slices win among 2D series, more images when thickness is equal', () => {
    const r = classifyStudy([h('AX T2', { seriesNumber: 1, minSliceThickness: 5, numberOfFrames: 24 }), h('AX T2', { seriesNumber: 2, minSliceThickness: 3, numberOfFrames: 40 })]);
    expect(r.series[1]!.selected).toBe(true);
    expect(r.series[1]!.reasons.join(' ')).toMatch(/thinner slices \(3 mm vs 5 mm\)/);
    const m = classifyStudy([h('AX T2', { seriesNumber: 1, minSliceThickness: 5, numberOfFrames: 24 }), h('AX T2', { seriesNumber: 2, minSliceThickness: 5, numberOfFrames: 30 })]);
    expect(m.series[1]!.reasons.join(' ')).toMatch(/more images \(30 vs 24\)/);
  });
});

describe('evidence thresholds', () => {
  it('a weak T1 (timings only) passes the default threshold and fails a stricter one, saying so', () => {
    const weak = h('', { repetitionTime: 500, echoTime: 12 });
    const s = one(weak);
    expect(s.role).toBe('t1');
    expect(s.confidence).toBeLessThan(0.6);
    const strict = one(weak, { minConfidence: 0.6 });
    expect(strict.role).toBe('other');
    expect(strict.reasons[0]).toMatch(/not enough evidence/);
  });

  it('no evidence at all is other, never a guess', () => {
    const s = one(h('SERIES 7'));
    expect(s.role).toBe('other');
    expect(s.reasons[0]).toMatch(/not enough evidence/);
  });
});

describe('site overrides', () => {
  it('win over the built-in rules, the first matching rule decides, and the reasons say so', () => {
    const overrides = [
      { pattern: '^NAV_3D$', role: 't1ce' as const },
      { pattern: 'scout', role: 't2' as const, field: 'ProtocolName' as const },
      { pattern: '^\\*tfl3d', field: 'SequenceName' as const, role: 'other' as const },
    ];
    const r = classifyStudy(
      [
        h('NAV_3D', { seriesNumber: 1 }),
        h('AX T1 SE', { seriesNumber: 2, protocolName: 'site_scout_proto' }),
        h('t1_mprage', { seriesNumber: 3, sequenceName: '*tfl3d1_16ns' }),
      ],
      { overrides },
    );
    expect(r.series.map((s) => s.role)).toEqual(['t1ce', 't2', 'other']);
    expect(r.series[0]!.reasons[0]).toMatch(/site override #0 .*NAV_3D.* site rules win over built-in rules/);
    expect(r.series[0]!.reasons[1]).toMatch(/built-in rules would say other/);
    expect(r.series[2]!.reasons[1]).toMatch(/built-in rules would say t1/);
    expect(r.series[0]!.confidence).toBe(1);
  });

  it('an invalid regex is a clear config error, both from the config file and from the API', () => {
    expect(() => compileOverrides([{ pattern: 'T1(', role: 't1' }])).toThrow(ConfigError);
    expect(() => classifyStudy([h('x')], { overrides: [{ pattern: '[', role: 't1' }] })).toThrow(/seriesId\.overrides\.0\.pattern: invalid regular expression/);
    expect(() => parseConfig({ seriesId: { overrides: [{ pattern: 'ok' , role: 't1' }, { pattern: '(?<', role: 't2' }] } })).toThrow(/seriesId\.overrides\.1\.pattern: invalid regular expression/);
    expect(() => parseConfig({ seriesId: { overrides: [{ pattern: 'x', role: 't3' }] } })).toThrow(/seriesId\.overrides\.0\.role/);
  });
});
