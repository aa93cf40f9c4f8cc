// How a ground tool command (export, classmap) ends on an error: one fatal log line naming the command, and the exit
// status for the error's fault code (78 for a configuration fault, which a restart cannot cure).
import { exitCodeFor } from '../platform/fieldeye-error.js';
import { createLogger, type Logger } from '../platform/logger.js';

export function groundCommandFailed(command: string, error: unknown, logger?: Logger): number {
  const message = error instanceof Error ? error.message : String(error);
  (logger ?? createLogger({ level: 'info' })).fatal({ err: message }, `fieldeye ${command}: ${message}`);
  return exitCodeFor(error);
}
