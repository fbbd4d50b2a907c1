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
    return (...args: unknown[]) => {
      const text = args.map(String).join(' ');
      // Connection errors and timeouts reach our code as events and are logged there with context.
      const level = methodName === 'error' && !/Connection (error|timeout)|Exceeded (PDU|association) timeout|no association to perform abort/.test(text) ? 'warn' : 'debug';
      logger.log(level, text);
    };
  };
  dimseLog.setLevel(process.env.DIMSE_LIB_LOG_LEVEL === 'debug' ? 'debug' : 'error');
}
