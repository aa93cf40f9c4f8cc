// Process-wide logging: pino JSON lines on stdout (journald keeps them), pretty-printed on a TTY.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Force pretty or JSON; default: pretty only when stdout is a TTY. */
  pretty?: boolean;
}

/** Paths that may carry secrets; pino replaces their values before anything is written. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'mqtt.password',
  'sinks.mqtt.password',
  'config.sinks.mqtt.password',
  'headers.authorization',
];

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  return pino({
    level: options.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' } } }
      : {}),
  });
}

/** A child logger per pipeline stage, so every line says where it came from. */
export function stageLogger(parent: Logger, stage: string): Logger {
  return parent.child({ stage });
}

/** A logger that writes nothing: for library calls and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
