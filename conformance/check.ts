/**
 * Conformance checker (conformance/README.md). The implementation lives in src/encoders/conformance/ so that the
 * built CLI ships it:
 *   node dist/cli/main.js check <files|folders...>     (exit 1 on any error)
 * and tests call it as a function:
 *   const report = await checkConformance([...outputFiles, ...sourceFiles]); expect(report.ok).toBe(true);
 */
export {
  checkConformance,
  formatReport,
  kindOf,
  structuralIssues,
  type CheckOptions,
  type ConformanceReport,
  type ObjectReport,
} from '../src/encoders/conformance/check-objects';
export { checkSeg, checkSr, checkSecondaryCapture, checkEncapsulatedPdf, type Issue } from '../src/encoders/conformance/structural-checks';
