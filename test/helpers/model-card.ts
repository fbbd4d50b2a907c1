/**
 * The glioma model card's held-out Dice for the unseen vendor (node export), so that accuracy tests follow the
 * committed model's own documented figures instead of numbers copied into the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Raw Dice row "| node-unseen-vendor | <vendor> | <inputs> | n | WT | TC | ET | healthy FP |" of MODEL_CARD.md. */
export function gliomaCardDice(inputs: 'full' | 'no FLAIR' | 'no T1ce' | 'no T2' | 'no T1' | 'T1ce only'): { wt: number; tc: number; et: number } {
  const card = readFileSync(join(__dirname, '../../models/glioma-mtl/MODEL_CARD.md'), 'utf8');
  const re = new RegExp(`^\\|\\s*node-unseen-vendor\\s*\\|[^|]*\\|\\s*${inputs}\\s*\\|`);
  const row = card.split('\n').find((l) => re.test(l));
  if (!row) throw new Error(`MODEL_CARD.md has no "node-unseen-vendor | ... | ${inputs}" Dice row`);
  const cells = row.split('|').map((c) => c.trim());
  const out = { wt: Number(cells[5]), tc: Number(cells[6]), et: Number(cells[7]) };
  if (![out.wt, out.tc, out.et].every(Number.isFinite)) throw new Error(`MODEL_CARD.md row for ${inputs} has no numbers: ${row}`);
  return out;
}
