// Process-wide logging: pino JSON lines on stdout (journald keeps them), pretty-printed on a TTY.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactUrlsIn } from './redact-url.js';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Force pretty or JSON; default: pretty only when stdout is a TTY. */
  pretty?: boolean;
  /** File descriptor: 1 stdout (default), 2 stderr (commands whose stdout is data). */
  destination?: 1 | 2;
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
  const fd = options.destination ?? 1;
  const pretty = options.pretty ?? (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const options_ = {
    level: options.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Paths cannot catch a password inside a URL (sinks.mqtt.url: mqtt://user:pass@host, an error message quoting
    // it): every line is scrubbed as text on its way out, at every level.
    hooks: { streamWrite: redactUrlsIn },
  };
  if (pretty) {
    return pino({
      ...options_,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' } },
    });
  }
  return pino(options_, pino.destination({ fd, sync: false }));
}

/** A child logger per pipeline stage, so every line says where it came from. */
export function stageLogger(parent: Logger, stage: string): Logger {
  return parent.child({ stage });
}

/** A logger that writes nothing: for library calls and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
