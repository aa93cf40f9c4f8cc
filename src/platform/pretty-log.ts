// The pretty form of log lines for a person at a terminal: pino-pretty run in-process and synchronously, so the last
// lines before an exit are never lost in a worker thread's buffer, and written around the progress bar.
import { prettyFactory } from 'pino-pretty';
import { logStream } from './log-format.js';
import { writeAboveProgress } from './progress.js';

/** A pino destination that turns each JSON line into pino-pretty's text and writes it to `fd` at once. */
export function prettyDestination(fd: 1 | 2): { write(line: string): void } {
  const out = logStream(fd);
  const pretty = prettyFactory({ colorize: out.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return { write: (line: string) => writeAboveProgress(out, pretty(line)) };
}
