/** Collects the node's log lines (message + metadata as JSON) so tests can check what an operator would read. */
import { Writable } from 'node:stream';
import winston from 'winston';
import { rootLogger } from '../../../src/log/logger';

export interface LogCapture {
  lines: string[];
  stop(): void;
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const transport = new winston.transports.Stream({ stream, level: 'debug', format: winston.format.json() });
  const root = rootLogger();
  const previous = root.level;
  // Quiet the console while capturing: the test reads the lines instead.
  const others = [...root.transports];
  const wasSilent = others.map((t) => t.silent);
  others.forEach((t) => (t.silent = true));
  root.level = 'debug';
  root.add(transport);
  return {
    lines,
    stop() {
      root.remove(transport);
      root.level = previous;
      others.forEach((t, i) => (t.silent = wasSilent[i]));
    },
  };
}
