// Where the demo's words go: stdout is its report (what a user reads, or a test parses), stderr its progress and logs.
import { createLogger, type Logger } from '../platform/logger.js';
import { writeAboveProgress } from '../platform/progress.js';

export interface DemoOutput {
  /** A progress line on stderr, so stdout stays the report. */
  say(line: string): void;
  /** A line of the report on stdout. */
  print(line: string): void;
}

export const demoOutput: DemoOutput = {
  say: (line) => writeAboveProgress(process.stderr, `fieldeye demo: ${line}\n`),
  print: (line) => process.stdout.write(`${line}\n`),
};

export interface DemoLoggers {
  /** The model build and survey simulation: a first start takes minutes, so their progress shows at info. */
  logger: Logger;
  /** The running pipeline, broker and dashboard: only warnings, or the flight's lines would bury the report. */
  quiet: Logger;
}

/** Both on stderr; FIELDEYE_LOG_LEVEL overrides either level. */
export function demoLoggers(): DemoLoggers {
  const level = (process.env['FIELDEYE_LOG_LEVEL'] ?? 'info') as 'info';
  const logger = createLogger({ level, destination: 2 });
  return { logger, quiet: logger.child({}, { level: process.env['FIELDEYE_LOG_LEVEL'] ?? 'warn' }) };
}

export function pct(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(1)} %`;
}
