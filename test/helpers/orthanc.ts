/**
 * Starts a real Orthanc (Debian package) with its DICOMweb plugin on free loopback ports, in a temporary folder,
 * for one test file. The implementation lives in src/bench/peers/orthanc.ts so that `npm run bench` (compiled
 * from src/) starts the very same peer.
 */
export { startOrthanc, type OrthancOptions, type OrthancPeer } from '../../src/bench/peers/orthanc';
