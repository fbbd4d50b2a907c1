import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/**
 * A secret given inline, or as a file read at start (systemd credentials, container secrets), so that it need not be
 * written in the configuration. A file's trailing newline is not part of it. Adds a zod issue naming the field when
 * both or neither are given (unless optional) or the file cannot be read.
 */
export function inlineOrFileSecret(inline: string | undefined, file: string | undefined, field: string, ctx: z.RefinementCtx, optional = false): string | undefined {
  const both = inline !== undefined && file !== undefined;
  if (both || (!optional && inline === undefined && file === undefined)) {
    ctx.addIssue({ code: 'custom', path: [field], message: `give ${optional ? 'at most' : 'exactly'} one of ${field} and ${field}File` });
    return undefined;
  }
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (!value) ctx.addIssue({ code: 'custom', path: [`${field}File`], message: `${file} is empty` });
    return value;
  } catch (e) {
    ctx.addIssue({ code: 'custom', path: [`${field}File`], message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return undefined;
  }
}
