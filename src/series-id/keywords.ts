/**
 * Keyword tables for SeriesDescription / ProtocolName, matched against `SeriesText.norm` (upper case, separators
 * as single spaces, padded) unless a comment says otherwise. Sources: NILS contrast-detection.yaml,
 * the Flywheel and CBTN profiles, real UPENN-GBM / PPMI / NACC strings, vendor naming
 * (Siemens, GE, Philips, Canon) and common clinical spellings in several languages.
 *
 * Each entry says what a match means; reasons quote it ("'POST' (post-contrast word)").
 */
import { w, type Keyword } from './text';

const k = (re: RegExp, means: string): Keyword => ({ re, means });

// ---------------------------------------------------------------------------------------------------------------
// Base contrast words
// ---------------------------------------------------------------------------------------------------------------

/** FLAIR by name. "T1 FLAIR" is handled by the T1 guard in base-contrast.ts, not here. */
export const FLAIR_WORDS: readonly Keyword[] = [
  k(/FLAIR/, 'FLAIR'),
  k(/DARK ?FLUID/, 'Siemens dark-fluid (FLAIR)'),
  k(w('DA ?FL'), 'Siemens dark-fluid abbreviation (FLAIR)'),
  k(/FLUID ?ATT\w*/, 'fluid-attenuated'),
];

/** Siemens turbo-IR: FLAIR, T1 TIRM or STIR depending on TI, so only the inversion time can decide. */
export const TIRM_WORDS: readonly Keyword[] = [k(w('TIRM|TIR'), 'Siemens turbo inversion recovery')];

export const T1_WORDS: readonly Keyword[] = [
  k(/(?<![A-Z0-9])(?:3D ?|S)?T ?1(?![0-9])/, 'T1'),
  k(/T1W(?:I)?(?![A-Z0-9])/, 'T1-weighted'),
  k(/(?<![A-Z0-9])(?:ME ?)?MP ?RAGE/, 'MPRAGE (3D T1)'),
  k(/MP2RAGE.*UNI|UNI ?DEN/, 'MP2RAGE uniform image (T1)'),
  k(/BRAVO/, 'GE BRAVO (3D T1)'),
  k(/(?:IR ?)?F?SPGR/, 'spoiled gradient echo SPGR (T1)'),
  k(w('(?:3D ?|T1 ?)?TFE'), 'Philips turbo field echo (3D T1)'),
  k(w('(?:3D|T1) ?FFE'), 'Philips T1 fast field echo'),
  k(w('VIBE|LAVA|THRIVE|MDEFT|FLASH|FL3D'), '3D T1 gradient echo'),
];

/** "TI" is a frequent typo for "T1" ("AX TI", "AX TI 3D MPRAGE"), unless a number follows (an inversion time). */
export const T1_TYPO: Keyword = k(/(?<![A-Z0-9])TI(?![A-Z0-9])(?! ?\d)/, '"TI" typo for T1');

export const T2_WORDS: readonly Keyword[] = [
  k(/(?<![A-Z0-9])(?:3D ?|S)?T ?2(?![0-9*])(?! ?\*)(?! ?STAR)/, 'T2'),
  k(/T2W(?:I)?(?![A-Z0-9])/, 'T2-weighted'),
];

/** 3D TSE / single-shot names that are T2 when nothing else is said (T1 SPACE/CUBE say "T1"). */
export const T2_WEAK_WORDS: readonly Keyword[] = [
  k(w('SPACE|SPC|CUBE|VISTA'), '3D turbo spin echo (SPACE/CUBE/VISTA), usually T2'),
  k(w('HASTE|SSFSE|SSH ?TSE|FASE'), 'single-shot TSE (T2)'),
];

// ---------------------------------------------------------------------------------------------------------------
// Exclusions: series that are never a model input. `soft` ones yield when a T1/T2/FLAIR word is present.
// ---------------------------------------------------------------------------------------------------------------

export interface ExclusionWords {
  /** Short name used in the reason, e.g. "localizer". */
  kind: string;
  words: readonly Keyword[];
  soft?: boolean;
}

export const EXCLUSION_WORDS: readonly ExclusionWords[] = [
  {
    kind: 'localizer',
    words: [
      k(w('LOC\\d*|LOCS|LOCALI[SZ]\\w*|LOCALIZZATORE|REPERAGE|PILOT|PLANNING|UBERSICHT|TRI ?PLANE|3 ?PL(?:ANE)?\\w*|AUTO ?ALIGN\\w*|ADJ\\w*'), 'localizer/planning'),
      k(/SCOUT|SURVEY/, 'scout/survey'),
    ],
  },
  {
    kind: 'calibration',
    words: [k(w('CAL|CALIB\\w*|ASSET ?CAL\\w*|PURE ?CAL\\w*|SENSE ?REF\\w*|REF ?SCAN|REFSCAN|COIL ?SURVEY|COILSENS\\w*|PRESCAN'), 'calibration/reference scan')],
  },
  {
    kind: 'diffusion',
    words: [
      k(w('DWI\\w*|DTI\\w*|DIFF\\w*|DIFUSION|ADC|EADC|TRACE ?W?|COL(?:OR)? ?FA|FA(?! ?\\d)|TENSOR|HARDI|DMRI|MDDW|EXP|LOWB|HIGHB|RESOLVE|MUSE|SHELLS?|NODDI|DKI|KURTOSIS|PEPOLAR|DIRECTIONS?|\\d+ ?DIR\\w*'), 'diffusion'),
      k(/(?<![A-Z0-9])(?:B ?0|B ?\d{3,4}|\d{3,4} ?B)(?![A-Z0-9])/, 'diffusion b-value'),
      k(/(?<![A-Z])DIFFUSION/, 'diffusion'),
    ],
  },
  {
    kind: 'susceptibility/T2*',
    words: [
      k(/T2 ?\*|T2 ?STAR/, 'T2*'),
      k(/(?<![A-Z0-9])T2 (?:[A-Z0-9]+ )?(?:GRE|FFE|GRADIENT)(?![A-Z0-9])|(?<![A-Z0-9])(?:GRE|FFE|GRADIENT) (?:[A-Z0-9]+ )?T2(?![0-9A-Z])|(?<![A-Z0-9])T2FFE/, 'T2-weighted gradient echo (T2*)'),
      k(w('SWI\\w*|SWAN|SWIP|SUSC\\w*|QSM|HEMO\\w*|MEDIC|MERGE|MFFE|VEN(?:OUS)? ?BOLD|MIN ?IP|MNIP|MAG ?IMAGES?|PHA ?IMAGES?|PHASE'), 'susceptibility/phase'),
    ],
  },
  {
    kind: 'gradient-echo (T2*)',
    soft: true,
    words: [k(w('GRE|GRADIENT(?: ?ECHO)?'), 'gradient echo without a T1 word (usually T2*)')],
  },
  {
    kind: 'perfusion',
    words: [
      k(/(?<![A-Z])(?:PERF\w*|BOLUS\w*)/, 'perfusion/bolus'),
      k(w('DSC|DCE|PWI|R?CBV|R?CBF|MTT|TTP|TMAX|K ?TRANS|DYN\\w*|TWIST|TRICKS'), 'perfusion'),
      k(w('ASL|PASL|PCASL|CASL|TGSE\\w*|ARTERIAL ?SPIN\\w*|PLD ?\\d+'), 'arterial spin labelling'),
    ],
  },
  {
    kind: 'angiography',
    words: [k(w('TOF\\w*|MRA|MRV|ANGIO\\w*|VENOGRA\\w*|COW|CIRCLE ?OF ?WILLIS|PC ?MRA|CE ?MRA|INHANCE|QFLOW|VENC ?\\d*|PHASE ?CONTRAST'), 'angiography')],
  },
  {
    kind: 'derived reformat/projection',
    words: [
      // Reformats carry the plane at the end ("_MPR_Cor", "coronal_mpr"); old Siemens "t1_mpr_sag_p2_iso" is an MPRAGE.
      k(/(?<![A-Z0-9])(?:MPR ?(?:COR|SAG|TRA|AX)[A-Z]*|(?:COR|SAG|TRA|AX)[A-Z]* ?MPR|MPRS|MPR ?(?:THICK|RANGE))(?: ?\d+)? $/, 'multiplanar reformat'),
      k(w('MIPS?|REFORMAT\\w*|RFMT|PROJECTION|SUB|SUBTRA\\w*|VRT|VOLUME ?RENDER\\w*|3D ?VR'), 'reformat/projection/subtraction'),
    ],
  },
  {
    kind: 'non-image or result object',
    words: [
      k(/(?<![A-Z0-9])MASK/, 'mask'),
      k(w('SEG|SEGMENTATION|LABEL ?MAP|ROI|CAD|SCREEN ?SAVE|SCREENSHOT|SNAPSHOT|SCREEN ?CAPTURE|SECONDARY ?CAPTURE|KEY ?IMAGES?|REPORT|PHOENIX\\w*|PHYSIO\\w*|EVIDENCE'), 'result/screenshot/report'),
    ],
  },
  {
    kind: 'functional MRI',
    words: [
      k(/FMRI|SBREF|MOCO/, 'functional MRI'),
      k(w('BOLD|REST\\w*|TASK\\w*|FUNC\\w*'), 'functional MRI'),
    ],
  },
  {
    kind: 'functional MRI',
    soft: true,
    words: [k(w('EPI'), 'echo-planar without a structural word')],
  },
  {
    kind: 'field map',
    words: [k(/FIELD ?MAP\w*|FIELDMAP|(?<![A-Z0-9])(?:FMAP|B[01] ?MAP\w*|TOPUP)/, 'field map')],
  },
  {
    kind: 'spectroscopy',
    words: [k(w('SVS\\w*|CSI\\w*|MRS|MRSI|SPE[CK]TRO\\w*|PRESS|STEAM|MEGA ?PRESS|HERMES'), 'spectroscopy')],
  },
  {
    kind: 'quantitative map',
    words: [
      k(w('MAPS?|MAPPING|QT1|QT2|QTSE|QMRI|RELAXO\\w*|R2 ?STAR|MYELIN|MWF|SYMRI|INV ?[12]|MTR|MT ?(?:ON|OFF)'), 'quantitative map'),
      k(/(?<![A-Z0-9])(?:T1|T2) ?MAP/, 'quantitative map'),
    ],
  },
  {
    kind: 'proton density',
    words: [k(w('PD|PDW|PDWI|PROTON ?DENSITY|DUAL ?ECHO|DE ?TSE'), 'proton density / dual echo')],
  },
  { kind: 'STIR', words: [k(w('STIR|FAST ?STIR|FSTIR'), 'STIR (fat-nulled inversion recovery)')] },
  {
    kind: 'steady-state free precession',
    words: [k(w('CISS|FIESTA\\w*|TRUFI\\w*|TRUE ?FISP|B ?FFE|B ?TFE|SSFP|BSSFP|DESS|PSIF'), 'steady-state (CISS/FIESTA/TrueFISP)')],
  },
  {
    kind: 'other inversion technique',
    words: [k(w('DIR|DOUBLE ?IR|DOUBLE ?INVERSION|PSIR'), 'double/phase-sensitive inversion recovery')],
  },
  {
    kind: 'not whole-brain anatomy',
    words: [k(w('SPINE|[CTL] ?SPINE|CERVICAL|THORACIC|LUMBAR|ORBITS?|IACS?|PITUITARY|SELLA|HYPOPHYS\\w*|NECK'), 'spine/orbit/sella/IAC')],
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Contrast agent words (T1 vs T1ce). Negative words win over positive ones (NILS).
// ---------------------------------------------------------------------------------------------------------------

/** Words that say "no contrast" / "before contrast". "PRE-OP" is pre-operative and "PRE SAT" presaturation. */
export const NEGATIVE_CONTRAST_WORDS: readonly Keyword[] = [
  k(/(?<![A-Z])PRE(?:C|GD|GAD|GADO|CONTRAST|KM)?(?![A-Z])(?! ?(?:OP|OPERATIVE|OPERATIV|SURG\w*|TREATMENT|TX|RT|BIOPSY|SAT|SCAN)(?![A-Z]))/, 'pre-contrast word'),
  k(w('(?:NO|NON|WITHOUT|WO|W ?O) ?(?:CONTRAST|CON|GD|GAD|GADO|C)|NONCONTRAST|UNENHANCED|NON ?ENHANCED'), 'no-contrast phrase'),
  k(w('NATIV\\w*|NATIF|NATIVE|BASALE'), '"native" (no contrast)'),
  k(w('OHNE|KEIN ?(?:KM|GD|KONTRAST\\w*)|VOR ?(?:KM|GD|KONTRAST\\w*)'), 'German no-contrast word'),
  k(w('SANS|AVANT ?(?:GD|GADO|INJ\\w*|CONTRASTE)'), 'French no-contrast word'),
  k(w('SIN ?(?:CONTRASTE|GD|GADO\\w*)|SEM ?CONTRASTE|PRE ?CONTRASTE'), 'Spanish/Portuguese no-contrast word'),
  k(w('SENZA|PRE ?MDC'), 'Italian no-contrast word'),
  k(w('UTAN|UTEN|UDEN|EJ ?(?:GD|KONTRAST)|INGEN ?(?:GD|KONTRAST)|F[OØ]RE? ?(?:K|KONTRAST|GD)'), 'Scandinavian no-contrast word'),
  k(w('ZONDER|GEEN ?(?:CONTRAST|GD)|VOOR ?(?:CONTRAST|GD)'), 'Dutch no-contrast word'),
  k(w('BEZ|KONTRASTSIZ'), 'Polish/Czech/Turkish no-contrast word'),
];

/** "-K", "-KM", "-C", "-GD" after a space: Scandinavian/German shorthand for "without". Matched on `upper`. */
export const NEGATIVE_CONTRAST_MINUS: Keyword = k(/(?:^|[\s_])-\s?(?:K|KM|C|GD)(?![A-Z0-9])/, '"-K"/"-C" (without contrast)');

/** Strong post-contrast words. "POST-OP" is post-operative and "POST FOSSA" the posterior fossa. */
export const POSITIVE_CONTRAST_WORDS: readonly Keyword[] = [
  k(/(?<![A-Z])P[O0]ST(?:GD|GAD|GADO|C|CON|CONTRAST|KM|CE|B?AX|B?COR|B?SAG)?(?![A-Z])(?! ?(?:OP|OPERATIVE|OPERATIV|SURG\w*|TREATMENT|TX|RT|RESECTION|BIOPSY|FOSSA|FOS)(?![A-Z]))/, 'post-contrast word'),
  k(/\+ ?(?:C|GD|GAD|GADO|K|KM|CONTRAST|KONTRAST|MDC)(?![A-Z0-9])|(?<![A-Z0-9])(?:C|K|GD) ?\+/, '"+C"/"C+"/"+K"'),
  k(w('T1 ?(?:CE|C|GD|GAD|GADO)'), 'T1 with contrast (T1CE/T1C/T1 Gd)'),
  k(w('GD|GAD|GADO|GADOLINI\\w*'), 'gadolinium'),
  k(
    w('DOTAREM|CLARISCAN|OMNISCAN|MAGNEVIST|GADOVIST|GADAVIST|PROHANCE|MULTIHANCE|OPTIMARK|EOVIST|PRIMOVIST|ELUCIREM|VUEWAY|GADOBUTROL|GADOTERATE|GADOTERIDOL|GADOBENATE|GADOPICLENOL|GADODIAMIDE|ARTIREM|CYCLOLUX|DOTAGRAF'),
    'contrast agent name',
  ),
  k(w('(?:WITH|W|AFTER) ?(?:CONTRAST|CON|GD|GAD|GADO|C)|CONTRAST ?ENHANCED|CONTRAST|ENHANCED'), 'with-contrast phrase'),
  k(w('MIT ?(?:KM|GD|GAD|KONTRAST\\w*)|NACH ?(?:KM|GD|KONTRAST\\w*|INJ\\w*)'), 'German with-contrast phrase'),
  k(w('AVEC ?(?:GD|GADO\\w*|INJ\\w*|CONTRASTE|PDC)|APRES ?(?:GD|GADO\\w*|INJ\\w*|CONTRASTE)|INJECTE\\w*'), 'French with-contrast phrase'),
  k(w('CON ?(?:CONTRASTE|GD|GADO\\w*|MDC|CONTRASTO)|COM ?CONTRASTE|P[O0]S ?CONTRASTE|POSTCONTRASTE|POSCONTRASTE|TRAS ?CONTRASTE'), 'Spanish/Portuguese/Italian with-contrast phrase'),
  k(w('DOPO ?(?:MDC|CONTRASTO|GD)|POST ?MDC'), 'Italian with-contrast phrase'),
  k(w('MED ?(?:K|KONTRAST|GD|GADO)|EFTER ?(?:K|KONTRAST|GD)|ETTER ?(?:K|KONTRAST|GD)|GD ?DIREKT'), 'Scandinavian with-contrast phrase'),
  k(w('MET ?(?:CONTRAST|GD|GADO\\w*)|NA ?(?:CONTRAST|GD|GADO)'), 'Dutch with-contrast phrase'),
  k(w('Z ?KONTRASTEM|S ?KONTRASTEM|PO ?KONTRAS\\w*|KONTRASTLI'), 'Polish/Czech/Turkish with-contrast phrase'),
];

/** Weaker post-contrast hints: abbreviations that are usually, not always, about contrast. */
export const POSITIVE_CONTRAST_WEAK_WORDS: readonly Keyword[] = [
  k(w('CE|KM|MDC|INJ|PDC'), 'contrast abbreviation (CE/KM/MDC/INJ)'),
  k(w('\\d{1,2} ?(?:ML|CC)'), 'contrast volume'),
];

/** Perfusion with a contrast bolus (DSC/DCE), as opposed to ASL, which uses no contrast agent. */
export const BOLUS_PERFUSION_WORDS: readonly Keyword[] = [
  k(/(?<![A-Z])(?:PERF\w*|BOLUS\w*)/, 'perfusion/bolus'),
  k(w('DSC|DCE|PWI|R?CBV|DYN\\w*|TWIST|TRICKS'), 'contrast perfusion'),
];
export const ASL_WORDS: readonly Keyword[] = [k(w('ASL|PASL|PCASL|CASL|TGSE\\w*|ARTERIAL ?SPIN\\w*|PLD ?\\d+'), 'arterial spin labelling')];

/** ProtocolName values that carry nothing (de-identified). */
export const EMPTY_PROTOCOL_NAMES = /^(?:ANON\w*|REMOVED|DELETED|DEIDENTIFIED|DE ?IDENTIFIED|NONE|NULL|X+)$/;
