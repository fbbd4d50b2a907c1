/** The node's software version (package.json), for provenance in the SR and the HTTP health endpoint. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

export function nodeVersion(): string {
  if (cached) return cached;
  // Works from src/ (tests) and dist/ (built): walk up to the first package.json.
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      cached = String((JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.0.0');
      return cached;
    }
    dir = dirname(dir);
  }
  cached = '0.0.0';
  return cached;
}
