/** Routing rules (src/routing/rules.ts): first match wins, every condition explained, ages from PatientAge or dates. */
import { parseConfig } from '../../src/config/load';
import { ageInYears } from '../../src/dicom/patient-age';
import { checkRule, decideRouting, priorityRank, type StudyFacts } from '../../src/routing/rules';

const brain: StudyFacts = {
  studyInstanceUid: '1.2.3',
  callingAeTitles: ['MRI1'],
  users: [],
  modalities: ['MR', 'SR'],
  bodyParts: ['BRAIN'],
  studyDescription: 'MRI Brain with contrast',
  stationNames: ['MRC25001'],
  patientAgeYears: 54,
};

const routing = (rules: unknown[], unmatched?: 'process' | 'ignore') => parseConfig({ routing: { rules, ...(unmatched ? { unmatched } : {}) } }).routing;

describe('routing rules', () => {
  it('without rules every study is processed at normal priority (the behaviour before rules existed)', () => {
    const d = decideRouting(routing([]), brain);
    expect(d).toMatchObject({ action: 'process', priority: 'normal', requireRoles: [] });
    expect(d.rule).toBeUndefined();
  });

  it('the first matching rule wins and carries its models, destinations, priority and completion trigger', () => {
    const d = decideRouting(
      routing([
        { name: 'research-scanner', when: { stationName: '^RESEARCH' }, action: 'ignore' },
        { name: 'neuro', when: { modalities: ['mr'], bodyParts: ['BRAIN', 'HEAD'], callingAeTitles: ['mri1'] }, requireRoles: ['t1ce', 'flair'], priority: 'urgent', models: ['glioma-mtl'], destinations: [] },
        { name: 'catch-all' },
      ]),
      brain,
    );
    expect(d).toMatchObject({ action: 'process', rule: 'neuro', priority: 'urgent', requireRoles: ['t1ce', 'flair'], models: ['glioma-mtl'] });
    expect(d.checks.map((c) => [c.rule, c.matched])).toEqual([['research-scanner', false], ['neuro', true]]);
    expect(d.checks[0]!.reasons).toEqual(['station MRC25001 does not match /^RESEARCH/i']);
    expect(d.checks[1]!.reasons).toEqual(['calling AE MRI1: yes', 'modality MR, SR: yes', 'body part BRAIN: yes']);
  });

  it('each condition can refuse a study, and says why', () => {
    const rule = (when: object) => routing([{ name: 'r', when }]).rules[0]!;
    expect(checkRule(rule({ callingAeTitles: ['MRI2'] }), brain).reasons).toEqual(['calling AE MRI1 not in [MRI2]']);
    expect(checkRule(rule({ users: ['orthanc'] }), brain).reasons).toEqual(['user none not in [orthanc]']);
    expect(checkRule(rule({ modalities: ['CT'] }), brain).matched).toBe(false);
    expect(checkRule(rule({ bodyParts: ['KNEE'] }), brain).reasons).toEqual(['body parts BRAIN not in [KNEE]']);
    expect(checkRule(rule({ studyDescription: 'spine' }), brain).reasons).toEqual(['study description "MRI Brain with contrast" does not match /spine/i']);
    expect(checkRule(rule({ minAgeYears: 18, maxAgeYears: 50 }), brain).reasons).toEqual(['age 54 not in [18, 50] years']);
    expect(checkRule(rule({ minAgeYears: 18 }), { ...brain, patientAgeYears: undefined }).reasons).toEqual(['age unknown not in [18, ∞] years']);
    expect(checkRule(rule({ minAgeYears: 18 }), brain).matched).toBe(true);
    expect(checkRule(rule({}), brain).reasons).toEqual(['no conditions: matches every study']);
  });

  it('a study no rule matches follows routing.unmatched (default ignore)', () => {
    const rules = [{ name: 'ct-only', when: { modalities: ['CT'] } }];
    expect(decideRouting(routing(rules), brain)).toMatchObject({ action: 'ignore', summary: expect.stringContaining('no rule matched') });
    expect(decideRouting(routing(rules, 'process'), brain).action).toBe('process');
  });

  it('the configuration refuses unknown destinations, duplicate rule names and bad regular expressions, naming the field', () => {
    expect(() => routing([{ name: 'a', destinations: ['nowhere'] }])).toThrow(/routing\.rules\.0\.destinations\.0.*unknown destination "nowhere"/s);
    expect(() => routing([{ name: 'a' }, { name: 'a' }])).toThrow(/routing\.rules.*rule names must be unique/s);
    expect(() => routing([{ name: 'a', when: { studyDescription: '(' } }])).toThrow(/not a valid regular expression/);
    expect(() => routing([{ name: 'a', when: { colour: 'red' } }])).toThrow(/colour/);
    expect(() => routing([{ name: 'a', priority: 'asap' }])).toThrow(/priority/);
  });

  it('ages come from PatientAge in any unit, else from the birth and study dates', () => {
    expect(ageInYears('054Y', undefined, undefined)).toBe(54);
    expect(ageInYears('018M', undefined, undefined)).toBe(1.5);
    expect(ageInYears('', '19700615', '20260614')).toBeCloseTo(56, 1);
    expect(ageInYears(undefined, '19700615', undefined)).toBeUndefined();
    expect(ageInYears('abc', '20300101', '20260101')).toBeUndefined();
  });

  it('priorities sort urgent first', () => {
    expect(['low', 'urgent', 'normal', 'high'].sort((a, b) => priorityRank(a as never) - priorityRank(b as never))).toEqual(['urgent', 'high', 'normal', 'low']);
  });
});
