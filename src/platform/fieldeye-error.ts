// The one error base of fieldeye: every error it raises on purpose carries a code saying what kind of fault it is,
// which picks the process's exit status (and so whether systemd restarts it) and is reported in logs.
import { EXIT } from './exit-codes.js';

/**
 * config: the configuration is wrong (restarting cannot help); input: a frame, file or payload is bad; model: the
 * model or its card is wrong or missing, or it cannot run a frame; link: the broker or telemetry link; hardware: the
 * camera or the SoC; internal: fieldeye's own machinery (a crashed inference worker, a bug) where a restart may help.
 */
export type FaultCode = 'config' | 'input' | 'model' | 'link' | 'hardware' | 'internal';

export const FAULT_CODES: readonly FaultCode[] = ['config', 'input', 'model', 'link', 'hardware', 'internal'];

export class FieldeyeError extends Error {
  constructor(
    readonly code: FaultCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The exit status for an error that ends a command. A configuration fault, and a model that is missing or does not
 * match its card, are not cured by restarting: EX_CONFIG, which the service unit does not restart.
 */
export function exitCodeFor(error: unknown): number {
  return error instanceof FieldeyeError && (error.code === 'config' || error.code === 'model') ? EXIT.config : EXIT.failure;
}

/** The fault code of any error; 'internal' for ones fieldeye did not raise on purpose (a bug, or a library's own). */
export function faultCodeOf(error: unknown): FaultCode {
  return error instanceof FieldeyeError ? error.code : 'internal';
}
