/**
 * The registry of output kinds. Order = encoding and delivery order (a kind may reference what an earlier one
 * produced: SEG, then the SR that references it, then key images, then the PDF that shows them). Adding a kind:
 * write its descriptor (output-kind.ts) in its own folder and add one line here.
 */
import type { OutputKindDescriptor } from './output-kind';
import { pdfKind } from './pdf/pdf-kind';
import { scKind } from './sc/sc-kind';
import { segKind } from './seg/seg-kind';
import { srKind } from './sr/sr-kind';
import { reviewSrKind } from './sr/review-sr-kind';

export const OUTPUT_KINDS = [segKind, srKind, scKind, pdfKind, reviewSrKind] as const;

/** 'seg' | 'sr' | 'sc' | 'pdf' | ...: the names of the registered kinds. */
export type OutputKind = (typeof OUTPUT_KINDS)[number]['kind'];

/** The kind of an object with this SOP Class, or undefined (a source image, or something we do not write). */
export function outputKindOf(sopClassUid: string): OutputKindDescriptor<OutputKind> | undefined {
  return OUTPUT_KINDS.find((d) => d.sopClasses.includes(sopClassUid));
}

export function outputKind(kind: OutputKind): OutputKindDescriptor<OutputKind> {
  return OUTPUT_KINDS.find((d) => d.kind === kind)!;
}

/** One value per registered kind. */
export function perKind<T>(value: (d: OutputKindDescriptor<OutputKind>) => T): Record<OutputKind, T> {
  const out: Partial<Record<OutputKind, T>> = {};
  for (const d of OUTPUT_KINDS) out[d.kind] = value(d);
  return out as Record<OutputKind, T>;
}
