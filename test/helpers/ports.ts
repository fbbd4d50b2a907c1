/** Loopback port and polling helpers; implemented in src/bench/peers/ports.ts (shared with the bench). */
export { freePort, waitFor } from '../../src/bench/peers/ports';
