// Which form log lines take: JSON lines for machines (journald, pipes, tests) or pretty lines for a person at a terminal.
export type LogFormat = 'json' | 'pretty';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** The environment variable `--log-format` sets, so every logger a command opens, however deep, follows it. */
export const LOG_FORMAT_ENV = 'FIELDEYE_LOG_FORMAT';

function isLogFormat(text: string | undefined): text is LogFormat {
  return text !== undefined && (LOG_FORMATS as readonly string[]).includes(text);
}

/** The stream behind a log file descriptor. */
export function logStream(fd: 1 | 2): NodeJS.WriteStream {
  return fd === 1 ? process.stdout : process.stderr;
}

/**
 * The format for lines written to `fd`: FIELDEYE_LOG_FORMAT when it names one, else pretty on a terminal and JSON
 * anywhere else; a pipe, a file or journald never gets colours or multi-line records it would have to parse.
 */
export function logFormatFor(fd: 1 | 2): LogFormat {
  const asked = process.env[LOG_FORMAT_ENV];
  if (isLogFormat(asked)) return asked;
  return logStream(fd).isTTY === true ? 'pretty' : 'json';
}
