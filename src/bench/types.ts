/**
 * `npm run bench`: each file in src/bench/scenarios/ exports `scenario`. A scenario measures the node and one or
 * more peers (Orthanc, DCMTK, dcm2niix, dicom-parser, onnxruntime-web, ...) in the same run and reports medians
 * and ratios, so that a noisy machine changes both sides alike.
 */
export interface BenchMeasurement {
  /** What was measured, e.g. "node STOW-RS 1 request x 180 parts". */
  label: string;
  /** Who: "node" or the peer's name. */
  subject: string;
  unit: string;
  /** Raw samples (repeat >= 3). */
  samples: number[];
  median: number;
  best: number;
}

export interface BenchRatio {
  label: string;
  /** node / peer (or as documented by the scenario). */
  value: number;
  /** Target ratio against the peer (docs/performance.md), e.g. "<= 2.0". */
  target?: string;
  pass?: boolean;
}

export interface BenchResult {
  measurements: BenchMeasurement[];
  ratios: BenchRatio[];
  notes?: string[];
}

export interface BenchContext {
  /** Scratch folder for this scenario (deleted afterwards). */
  workDir: string;
  repeat: number;
  log(line: string): void;
}

export interface BenchScenario {
  /** Short id, e.g. "S1-stow-ingest". */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function summarise(label: string, subject: string, unit: string, samples: number[]): BenchMeasurement {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const lowerIsBetter = !/\/s$/.test(unit);
  return { label, subject, unit, samples, median, best: lowerIsBetter ? sorted[0]! : sorted[sorted.length - 1]! };
}
