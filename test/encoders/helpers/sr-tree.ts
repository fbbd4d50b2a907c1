/** Small helpers to look into a naturalized SR content tree in tests. */
export type Node = Record<string, unknown>;

export function kids(n: Node | undefined): Node[] {
  return Array.isArray(n?.ContentSequence) ? (n.ContentSequence as Node[]) : [];
}

export function concept(n: Node): { value: string; scheme: string; meaning: string } {
  const c = (n.ConceptNameCodeSequence as Node[] | undefined)?.[0] ?? {};
  return { value: String(c.CodeValue ?? c.LongCodeValue ?? ''), scheme: String(c.CodingSchemeDesignator ?? ''), meaning: String(c.CodeMeaning ?? '') };
}

export function codeValue(n: Node): { value: string; scheme: string; meaning: string } {
  const c = (n.ConceptCodeSequence as Node[] | undefined)?.[0] ?? {};
  return { value: String(c.CodeValue ?? c.LongCodeValue ?? ''), scheme: String(c.CodingSchemeDesignator ?? ''), meaning: String(c.CodeMeaning ?? '') };
}

export function numValue(n: Node): { value: number; unit: string } {
  const mv = (n.MeasuredValueSequence as Node[])[0]!;
  const nv = mv.NumericValue;
  return { value: Number(Array.isArray(nv) ? nv[0] : nv), unit: String(((mv.MeasurementUnitsCodeSequence as Node[])[0] ?? {}).CodeValue) };
}

export function find(n: Node | undefined, value: string, scheme?: string): Node[] {
  return kids(n).filter((k) => concept(k).value === value && (scheme == null || concept(k).scheme === scheme));
}

export function one(n: Node | undefined, value: string, scheme?: string): Node {
  const f = find(n, value, scheme);
  if (f.length !== 1) throw new Error(`expected one ${value} under ${concept(n ?? {}).meaning}, found ${f.length}`);
  return f[0]!;
}

/** Measurement groups keyed by tracking identifier. */
export function groups(root: Node): Map<string, Node> {
  const im = find(root, '126010', 'DCM')[0];
  return new Map(find(im, '125007', 'DCM').map((g) => [String(one(g, '112039', 'DCM').TextValue), g]));
}

/** The NUMs of Derived Imaging Measurements (126011). */
export function derived(root: Node): Node[] {
  return kids(find(root, '126011', 'DCM')[0]);
}

/** The value code of a NUM's HAS CONCEPT MOD child with concept `value`. */
export function modifier(n: Node, value: string): string | undefined {
  const m = kids(n).find((k) => k.RelationshipType === 'HAS CONCEPT MOD' && concept(k).value === value);
  return m ? codeValue(m).value : undefined;
}

/** Derived NUMs of concept `value` measured on the region coded `region` (PRIV REGION modifier). */
export function derivedFor(root: Node, value: string, region: string): Node[] {
  return derived(root).filter((n) => concept(n).value === value && modifier(n, 'REGION') === region);
}

/** True when a NUM carries no value and the CID 42 qualifier "Measurement not attempted" (114007, DCM). */
export function notAttempted(n: Node): boolean {
  const q = (n.NumericValueQualifierCodeSequence as Node[] | undefined)?.[0];
  const mv = n.MeasuredValueSequence as Node[] | undefined;
  return (!mv || mv.length === 0) && q?.CodeValue === '114007' && q?.CodingSchemeDesignator === 'DCM';
}
