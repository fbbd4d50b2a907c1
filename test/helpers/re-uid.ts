/** Copies of a study under new UIDs (it lives under src/ so the compiled bench can use it). */
export { withNewUids } from '../../src/bench/fixtures/re-uid';
