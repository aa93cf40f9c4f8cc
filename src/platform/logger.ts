// Process-wide logging: pino JSON lines (journald, pipes, tests parse them), pretty lines for a person at a terminal.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactUrlsIn } from './redact-url.js';
import { logFormatFor } from './log-format.js';
import { prettyDestination } from './pretty-log.js';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Force pretty or JSON; default: logFormatFor(destination): --log-format / FIELDEYE_LOG_FORMAT, else pretty on a TTY. */
  pretty?: boolean;
  /** File descriptor: 1 stdout (default), 2 stderr (commands whose stdout is data). */
  destination?: 1 | 2;
  /**
   * The level when the lines are pretty and `level` is info: a batch command (replay) whose own output tells a person
   * what the info lines say passes 'warn', so its table is the first thing read; JSON lines keep `level`.
   */
  prettyLevel?: LevelWithSilent;
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
  const pretty = options.pretty ?? logFormatFor(fd) === 'pretty';
  const options_ = {
    level: pretty && options.prettyLevel !== undefined && options.level === 'info' ? options.prettyLevel : options.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Paths cannot catch a password inside a URL (sinks.mqtt.url: mqtt://user:pass@host, an error message quoting
    // it): every line is scrubbed as text on its way out, at every level.
    hooks: { streamWrite: redactUrlsIn },
  };
  // Pretty: formatted in this thread and written at once (no transport worker that an exit would cut short).
  if (pretty) return pino(options_, prettyDestination(fd));
  return pino(options_, pino.destination({ fd, sync: false }));
}

/** A child logger per pipeline stage, so every line says where it came from. */
export function stageLogger(parent: Logger, stage: string): Logger {
  return parent.child({ stage });
}

/** A logger that writes nothing: for library calls and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
