/** What the SR of a tumour-free study must say, whatever the layout of its measurement groups. */
import { readFileSync } from 'node:fs';
import { readP10 } from '../../src/dicom/p10';
import { codeValue, concept, kids, numValue, type Node } from '../encoders/helpers/sr-tree';

/** Every content item of an SR tree, depth first. */
export function allItems(n: Node): Node[] {
  return kids(n).flatMap((k) => [k, ...allItems(k)]);
}

/** (Neoplasm) = (Not detected); each head (Not applicable); every NUM finite; every Volume 0; no diagnosis. */
export function expectTumourFreeSr(srFile: string, headCount: number): void {
  const items = allItems(readP10(readFileSync(srFile)).dataset);
  const codes = items.filter((i) => i.ValueType === 'CODE');
  expect(codes.some((i) => concept(i).value === '108369006' && codeValue(i).value === '260415000')).toBe(true);
  expect(codes.filter((i) => codeValue(i).value === '385432009')).toHaveLength(headCount);
  const nums = items.filter((i) => i.ValueType === 'NUM');
  for (const n of nums) expect(Number.isFinite(numValue(n).value)).toBe(true);
  for (const v of nums.filter((i) => concept(i).value === '118565006')) expect(numValue(v).value).toBe(0);
  expect(codes.some((i) => concept(i).value === 'INTDX')).toBe(false);
}
