/**
 * dcmjs-dimse logs through `loglevel` at trace level by default (every PDU, to the console). That is slow and
 * bypasses our PHI-scrubbing logger, so we route its warnings and errors into winston and drop the rest.
 * Our own code logs associations and per-instance outcomes with the facts that matter (AE titles, UIDs, statuses).
 */
import { log as dimseLog } from 'dcmjs-dimse';
import { createLogger } from '../log/logger';

let installed = false;

export function quietDimseLibrary(): void {
  if (installed) return;
  installed = true;
  const logger = createLogger('dimse-lib');
  dimseLog.methodFactory = (methodName: string) => {
    const level = methodName === 'error' ? 'warn' : 'debug';
    return (...args: unknown[]) => logger.log(level, args.map(String).join(' '));
  };
  dimseLog.setLevel(process.env.DIMSE_LIB_LOG_LEVEL === 'debug' ? 'debug' : 'error');
}
