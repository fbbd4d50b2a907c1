/** Copies of a study under new UIDs (it lives in src/testing so the compiled bench can use it). */
export { withNewUids } from '../../src/testing/re-uid';
