/** dciodvfy on synthetic output (a separate file so that test/synth/util.ts stays free of child processes). */
import { runTool } from '../helpers/dcmtk';

/** dciodvfy's Error lines for a file (warnings are vendor-realistic and documented in docs/synthetic-data.md). */
export async function dciodvfyErrors(path: string): Promise<string[]> {
  const r = await runTool('dciodvfy', [path]);
  return (r.stdout + r.stderr).split('\n').filter((l) => /^Error/.test(l));
}
