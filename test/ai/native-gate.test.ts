/** The native-call gate (src/ai/native-gate.ts) on its own: counting, refusing after a stop, waiting for a call. */
import { installNativeGate, nativeCall, NativeGate, NodeStoppingError, stopNativeCalls } from '../../src/ai/native-gate';

describe('native-call gate', () => {
  const gate = new NativeGate();
  beforeAll(() => installNativeGate(gate.buffer));

  it('counts a call while it runs and waits for it after a stop; a call after the stop is refused', async () => {
    let release!: () => void;
    const running = nativeCall('a model run', () => new Promise<string>((r) => (release = () => r('result'))));
    expect(gate.inside).toBe(1);
    gate.requestStop();
    // The running call is not interrupted: the owner waits until it returns.
    expect(await gate.whenOutside(20)).toBe(false);
    release();
    await expect(running).resolves.toBe('result');
    expect(gate.inside).toBe(0);
    expect(await gate.whenOutside(20)).toBe(true);
    let called = false;
    await expect(
      nativeCall('a model run', async () => {
        called = true;
        return 1;
      }),
    ).rejects.toThrow(new NodeStoppingError('a model run'));
    expect(called).toBe(false);
    expect(gate.inside).toBe(0);
  });

  it('a failing call leaves the count at zero', async () => {
    const fresh = new NativeGate();
    installNativeGate(fresh.buffer);
    await expect(nativeCall('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fresh.inside).toBe(0);
  });

  it('stopNativeCalls stops every live gate and waits for the call in flight; a disposed gate is not waited for', async () => {
    const a = new NativeGate();
    const b = new NativeGate();
    const gone = new NativeGate();
    installNativeGate(a.buffer);
    let release!: () => void;
    const running = nativeCall('a model run', () => new Promise<void>((r) => (release = r)));
    installNativeGate(gone.buffer);
    const stuck = nativeCall('a model run', () => new Promise<void>(() => undefined));
    gone.dispose();
    expect(await stopNativeCalls(30)).toBe(false);
    installNativeGate(b.buffer);
    await expect(nativeCall('x', async () => 1)).rejects.toThrow(NodeStoppingError);
    const waiting = stopNativeCalls(5000);
    release();
    expect(await waiting).toBe(true);
    await running;
    expect(gone.inside).toBe(1);
    void stuck;
  });
});
