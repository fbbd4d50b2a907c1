/**
 * Applies a case's drawn variety (variety.ts) to the planned protocol: role series get the drawn 2-D/3-D geometry
 * (slice thickness, gap, plane, in-plane pixel size, slice profile, in-plane blur) and every acquired series the
 * drawn noise level. Stack centres, obliquity (same plane) and timing stay as planned, so the rest of the study is
 * unchanged.
 */
import type { Vec3 } from '../imaging/volume';
import { isModelRole } from '../series-id/roles';
import type { StackSpec } from './acquisition';
import type { SeriesPlan, StudyPlan, StudySize } from './protocol';
import type { SeriesVariety, VarietySettings } from './variety';

/** Coverage (mm) of a 2-D stack through the head per plane. */
const COVER_MM = { axial: 150, coronal: 170, sagittal: 160 } as const;

/** The stack a role series is acquired with under `v` (the protocol's stack supplies centre and obliquity). */
export function variedStack(planned: StackSpec, v: SeriesVariety, size: StudySize): StackSpec {
  const full = size === 'full';
  if (v.acquisition === '3d') {
    const orientation = planned.sliceThickness === planned.pixelSpacing[0] ? planned.orientation : 'sagittal';
    const pixel = (full ? 1 : 2) * v.pixelFactor;
    const inPlane = Math.round(256 / pixel);
    const slices = Math.round((orientation === 'coronal' ? 200 : 176) / pixel);
    return {
      ...planned, orientation, obliqueDeg: orientation === planned.orientation ? planned.obliqueDeg : [0, 0, 0],
      pixelSpacing: [pixel, pixel], matrix: [inPlane, inPlane], sliceThickness: pixel, sliceGap: 0, slices,
      profileMm: pixel * v.profileFactor, blurSigmaMm: v.blurSigmaMm,
    };
  }
  const orientation = v.orientation ?? 'axial';
  const pixel = (full ? 0.9 : 1.8) * v.pixelFactor;
  const inPlane = Math.round(230 / pixel);
  const thickness = v.sliceThicknessMm ?? 5;
  const gap = v.sliceGapMm ?? 0;
  const oblique: Vec3 = orientation === planned.orientation ? planned.obliqueDeg ?? [0, 0, 0] : [0, 0, 0];
  return {
    ...planned, orientation, obliqueDeg: oblique, pixelSpacing: [pixel, pixel], matrix: [inPlane, inPlane],
    sliceThickness: thickness, sliceGap: gap, slices: Math.max(3, Math.round(COVER_MM[orientation] / (thickness + gap))),
    profileMm: thickness * v.profileFactor, blurSigmaMm: v.blurSigmaMm,
  };
}

function variedSeries(sp: SeriesPlan, v: VarietySettings, size: StudySize): SeriesPlan {
  const snr = sp.snr / v.noiseFactor;
  if (sp.derivedFrom || !isModelRole(sp.role) || sp.stacks.length !== 1) return { ...sp, snr };
  const sv = v.series[sp.role];
  return {
    ...sp, snr, stacks: [variedStack(sp.stacks[0]!, sv, size)],
    // A 2-D acquisition is written as classic single-frame images, as scanners do.
    format: sv.acquisition === '2d' ? 'single-frame' : sp.format,
  };
}

export function applySeriesVariety(plan: StudyPlan, v: VarietySettings, size: StudySize): StudyPlan {
  return { ...plan, series: plan.series.map((sp) => variedSeries(sp, v, size)) };
}
