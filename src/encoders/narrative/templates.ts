/**
 * Deterministic narrative reports from Findings: a clinician's version (numbers, probabilities, uncertainty,
 * provenance) and a plain-language patient version (no jargon, no percentages without words, always says what the
 * result is not). Same Findings, same text. docs/outputs.md shows examples.
 */
import { outlinedArea, overallSureness, plainGuess, sizeComparison } from './plain-language';
import type { Findings, HeadResult, RegionKey } from '../../ai/findings';
import { ROLE_NAMES } from '../codes';
import { bidimensionalPlace } from '../../ai/bidimensional';
import type { Narrative } from '../options';
import { notAssessableRegions, regionText } from '../seg/segment-catalog';
import { survivalLines } from './survival-text';

const REGION_ORDER: RegionKey[] = ['WT', 'TC', 'ET', 'NCR', 'ED', 'GTV'];

function ml(v: number): string {
  return v < 0.05 && v > 0 ? '<0.1 mL' : `${v.toFixed(1)} mL`;
}

function pct(p: number): string {
  return `${Math.round(p * 100)}%`;
}

function headLine(h: HeadResult): string {
  const probs = h.classes.map((c) => `${c.name} ${pct(c.probability)}`).join(', ');
  const verdict = h.indeterminate ? 'indeterminate' : `${h.predicted} (${pct(h.confidence)})`;
  return `${h.title}: ${verdict}; probabilities ${probs}; normalised entropy ${h.uncertainty.normalisedEntropy.toFixed(2)}.`;
}

function inputsLine(f: Findings): string {
  const used = f.inputs
    .map((s) => {
      const desc = s.seriesDescription ? ` "${s.seriesDescription}"` : '';
      const num = s.seriesNumber != null ? ` series ${s.seriesNumber}` : '';
      return `${ROLE_NAMES[s.role]}${num}${desc}`;
    })
    .join('; ');
  const missing = f.missingModalities.length ? ` Missing: ${f.missingModalities.map((r) => ROLE_NAMES[r]).join(', ')}.` : ' No sequence missing.';
  return `Inputs: ${used}.${missing}`;
}

export function clinicianNarrative(f: Findings, opts: { supersedes?: string[] } = {}): string {
  const lines: string[] = [];
  lines.push('AUTOMATED ANALYSIS - RESEARCH USE ONLY. Not for diagnosis or treatment decisions; the model was trained on synthetic data.');
  lines.push(inputsLine(f));
  const regions = REGION_ORDER.map((k) => f.regions.find((r) => r.key === k)).filter((r) => r != null);
  if (f.segmentation) {
    const ref = f.inputs.find((s) => s.seriesInstanceUid === f.referenceSeries.seriesInstanceUid);
    const on = ref ? ` on ${ROLE_NAMES[ref.role]}${ref.seriesNumber != null ? ` (series ${ref.seriesNumber})` : ''}` : '';
    // A region the inputs cannot support is "not assessable", never a volume of 0.
    const na = new Map(notAssessableRegions(f).map((n) => [n.key, n.reason]));
    const volume = (k: RegionKey, v: number): string => (na.has(k) ? `${regionText(k)} not assessable (${na.get(k)})` : `${regionText(k)} ${ml(v)}`);
    if (regions.every((r) => r.voxelCount === 0)) lines.push(`Segmentation${on}: no tumour detected (no voxel segmented; all volumes 0 mL).`);
    else lines.push(`Segmentation${on}: ${regions.map((r) => volume(r.key, r.volumeMl)).join('; ')}.`);
    const b = f.bidimensional;
    if (b && na.has(b.region)) lines.push(`Bidimensional (RANO-style, ${regionText(b.region)}): not assessable (${na.get(b.region)}).`);
    else if (b) {
      const where = `${bidimensionalPlace(b)}${on}`;
      lines.push(
        `Bidimensional (RANO-style, ${regionText(b.region)}, ${where}): ${b.long.lengthMm.toFixed(1)} x ${b.short.lengthMm.toFixed(1)} mm, product ${b.productMm2.toFixed(0)} mm2; ${b.measurable ? 'measurable' : 'not measurable'} (both diameters >= 10 mm).`,
      );
    }
  } else if (f.segmentationWithheld) {
    // Said here once; not repeated among the warnings.
    lines.push(`No segmentation reported: ${f.segmentationWithheld.reason.replace(/^segmentation withheld: /, '')}.`);
  } else {
    lines.push('No segmentation was produced by this model.');
  }
  if (f.heads.length) lines.push(...f.heads.map(headLine));
  const dx = f.diagnosis;
  if (dx) {
    const integrated = dx.integrated.indeterminate ? 'indeterminate' : `${dx.integrated.label} (${pct(dx.integrated.probability)})`;
    lines.push(`Integrated diagnosis (WHO CNS5, model-based, not histopathology): ${integrated}.`);
    if (dx.branches.length) lines.push(`Diagnostic branches: ${dx.branches.map((b) => `${b.label} ${pct(b.probability)}`).join('; ')}.`);
    for (const r of dx.reasoning) lines.push(`Reasoning: ${r}`);
  }
  for (const sv of f.survival ?? []) lines.push(...survivalLines(sv));
  const u = f.uncertaintySummary;
  const seg = u.meanSegmentationUncertainty != null ? ` (mean segmentation uncertainty ${u.meanSegmentationUncertainty.toFixed(2)})` : '';
  lines.push(`Overall uncertainty: ${u.level}${seg}.${u.notes.length ? ' ' + u.notes.join(' ') : ''}`);
  if (f.modalityImportance?.length) {
    const parts = f.modalityImportance.map((m) => {
      const deltas = Object.entries(m.headDeltas).map(([h, d]) => `${h} ${d >= 0 ? '+' : ''}${d.toFixed(2)}`).join(', ');
      const dice = m.diceToFull != null ? `WT Dice ${m.diceToFull.toFixed(2)}` : '';
      return `without ${ROLE_NAMES[m.role]}: ${[deltas, dice].filter(Boolean).join(', ')}`;
    });
    lines.push(`Modality importance (leave-one-out): ${parts.join('; ')}.`);
  }
  for (const w of f.warnings) if (w !== f.segmentationWithheld?.reason) lines.push(`Warning: ${w}`);
  lines.push(
    `Model ${f.model.name} ${f.model.version} (sha256 ${f.model.sha256.slice(0, 12)}..., ${f.model.executionProvider}). ${f.model.intendedUse}`,
  );
  if (opts.supersedes?.length) lines.push(`This report supersedes ${opts.supersedes.length} earlier report(s): ${opts.supersedes.join(', ')}.`);
  lines.push('Produced automatically; not verified by a physician.');
  return lines.join('\n');
}

export function patientNarrative(f: Findings): string {
  const lines: string[] = [];
  lines.push(
    'This summary was written by a computer program that is being tested for research. It is not a diagnosis. ' +
      'The program learned from computer-made (synthetic) pictures, not from real patients, so it can be wrong.',
  );
  const area = outlinedArea(f.regions);
  if (f.segmentationWithheld) {
    lines.push('The program did not outline any area on your scan, because a kind of picture it needs to do that reliably was not available.');
  } else if (!f.segmentation) {
    lines.push('The program did not outline any area on your scan.');
  } else if (!area || area.voxelCount === 0) {
    lines.push(
      'The program did not find an area on your scan that it would outline as a tumour. ' +
        'This does not prove that there is no tumour: the program can miss things.',
    );
  } else {
    lines.push(
      `The program outlined an area on your brain scan that may be a tumour, including the swelling around it. ` +
        `Together this area measures ${area.volumeMl < 1 ? 'less than 1 millilitre' : `about ${area.volumeMl.toFixed(0)} millilitres`}, ${sizeComparison(area.volumeMl)}.`,
    );
  }
  const guesses = f.heads.map(plainGuess).filter((g) => g != null);
  if (guesses.length) {
    lines.push('The program also tried to guess some features of the tumour that are normally found by testing a tissue sample:');
    for (const g of guesses) {
      lines.push(g.answer ? `- ${g.topic}. Best guess: ${g.answer}. The program is ${g.sure} (${g.chance}).` : `- ${g.topic}. The program could not decide.`);
    }
  }
  const unexplained = f.heads.length - guesses.length;
  if (unexplained) lines.push(`The program also looked at ${unexplained === 1 ? 'one other feature' : `${unexplained} other features`}; your doctors can explain ${unexplained === 1 ? 'it' : 'them'}.`);
  if (f.missingModalities.length) {
    lines.push('Some of the usual scan types were missing, which makes the program less reliable.');
  }
  lines.push(`Overall, the program is ${overallSureness(f.uncertaintySummary.level)} about this analysis.`);
  lines.push(
    'Only your doctors can tell what this means for you. A tissue test (biopsy or surgery) is needed to know the tumour type. ' +
      'Please talk with your care team about any questions.',
  );
  return lines.join('\n');
}

export function templateNarrative(f: Findings, opts: { supersedes?: string[] } = {}): Narrative {
  return { clinician: clinicianNarrative(f, opts), patient: patientNarrative(f), source: 'template' };
}
