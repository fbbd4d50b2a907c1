/**
 * The inter-series registration as Algorithm Parameters text (TID 4019, VM 1-n) of the SR's algorithm
 * identification: method, engine and version, then one line per registered series with its transform and metric,
 * so a reader of the SR can tell which series were moved, by how much, and which kept their DICOM geometry.
 */
import type { RegistrationReport } from '../../registration/report';
import { ROLE_NAMES } from '../../series-id/roles';

const fixed = (x: number, d: number): string => (Math.abs(x) < 0.5 * 10 ** -d ? 0 : x).toFixed(d);

/** Rows 1-3 of the 4x4 (p_series = M · p_reference, LPS mm). */
function matrixText(m: readonly number[]): string {
  return [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => fixed(m[r * 4 + c]!, c === 3 ? 2 : 5)).join(' ')).join('; ');
}

export function registrationParameterTexts(r: RegistrationReport | undefined): string[] {
  if (!r) return [];
  const ref = `${ROLE_NAMES[r.referenceRole]} series ${r.referenceSeriesInstanceUid}`;
  if (r.method === 'off') return [`inter-series registration: none (${r.description}); reference ${ref}`];
  const engine = r.engine ? `${r.engine.name} ${r.engine.version} (${r.engine.implementation})` : 'unknown engine';
  return [
    `inter-series registration: ${r.description}; engine ${engine}; reference ${ref}`,
    ...r.series.map((s) => {
      const head = `registration ${ROLE_NAMES[s.role]} series ${s.seriesInstanceUid}: ${s.outcome}${s.reason ? ` (${s.reason}; DICOM geometry used)` : ''}`;
      if (s.outcome === 'failed') return head;
      return (
        `${head}; rotation ${fixed(s.rotationDeg, 2)} deg; translation ${s.translationMm.map((x) => fixed(x, 2)).join(' ')} mm; ` +
        `transform p_series = M p_reference (LPS mm) [${matrixText(s.transform)}]; ${s.metric.name} ${fixed(s.metric.before, 4)} -> ${fixed(s.metric.after, 4)}; ` +
        `head-mask Dice ${fixed(s.headOverlap.before, 3)} -> ${fixed(s.headOverlap.after, 3)}`
      );
    }),
  ];
}
