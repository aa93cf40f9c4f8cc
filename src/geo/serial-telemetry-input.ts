// Telemetry from a serial device (a GPS receiver, a flight controller's TELEM port): the tty is set up with stty, then read as a stream; unplugging is a link state.
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { ReadStream, isatty } from 'node:tty';
import type { Logger } from '../platform/logger.js';

export interface SerialTelemetryOptions {
  path: string;
  baudRate: number;
  /** The config path named in a startup error ("position.nmea.serial"). */
  configPath: string;
  /** The protocol, for messages ("NMEA"). */
  protocol: string;
  onData: (bytes: Buffer, receivedMs: number) => void;
  /** After the device goes away (unplugged, the other end closed): try to open it again this often. */
  reopenMs?: number;
  logger?: Logger;
  /** stty, found on PATH by default (coreutils). */
  stty?: string;
}

/**
 * 8N1 raw: no echo, no line editing, no CR/LF translation, no software or hardware flow control, modem lines ignored.
 * A GPS or an autopilot sends binary or CRLF text that must arrive byte for byte.
 */
function sttyArgs(path: string, baudRate: number): string[] {
  return [
    '-F',
    path,
    String(baudRate),
    'raw',
    '-echo',
    '-echoe',
    '-echok',
    '-echoctl',
    '-echoke',
    '-ixon',
    '-ixoff',
    '-crtscts',
    'clocal',
    'cs8',
    '-cstopb',
    '-parenb',
  ];
}

function runStty(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) =>
    execFile(command, args, { timeout: 5_000 }, (err, _stdout, stderr) => resolve(err ? String(stderr).trim().split('\n')[0] || err.message : null)),
  );
}

export class SerialTelemetryInput {
  #stream: ReadStream | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Times the device went away after it had been open. */
  losses = 0;
  /** Why the device is not open, or null while it is. */
  problem: string | null = 'not opened yet';

  private constructor(private readonly options: SerialTelemetryOptions) {}

  /** Opens the device; a device that cannot be opened at start is a startup error naming the config key. */
  static async open(options: SerialTelemetryOptions): Promise<SerialTelemetryInput> {
    const input = new SerialTelemetryInput(options);
    const problem = await input.#tryOpen();
    if (problem !== null) {
      throw new Error(
        `${options.configPath}: cannot open ${options.protocol} serial device ${options.path} at ${options.baudRate} baud: ${problem}; check the path (ls /dev/serial/by-id/) and that this user may read it (group dialout)`,
      );
    }
    return input;
  }

  get path(): string {
    return this.options.path;
  }

  get open(): boolean {
    return this.#stream !== null;
  }

  async #tryOpen(): Promise<string | null> {
    const { path, baudRate } = this.options;
    const sttyProblem = await runStty(this.options.stty ?? 'stty', sttyArgs(path, baudRate));
    if (sttyProblem !== null) return `stty: ${sttyProblem}`;
    let fd: number;
    try {
      // O_NOCTTY: the device must never become this process's controlling terminal; O_NONBLOCK: libuv polls it.
      fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (err) {
      return (err as Error).message;
    }
    if (!isatty(fd) || this.#closed) {
      closeSync(fd);
      return this.#closed ? null : 'not a terminal device';
    }
    const stream = new ReadStream(fd);
    this.#stream = stream;
    this.problem = null;
    stream.on('data', (chunk: Buffer) => this.options.onData(chunk, Date.now()));
    stream.on('error', (err) => this.#lost(stream, err.message));
    stream.on('end', () => this.#lost(stream, 'the device closed (unplugged, or the other end went away)'));
    return null;
  }

  #lost(stream: ReadStream, why: string): void {
    if (this.#stream !== stream) return;
    this.#stream = null;
    stream.destroy();
    if (this.#closed) return;
    this.losses++;
    this.problem = why;
    this.options.logger?.warn({ path: this.options.path, why }, `${this.options.protocol} serial device lost; reopening`);
    this.#scheduleReopen();
  }

  #scheduleReopen(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#closed) return;
      void this.#tryOpen().then((problem) => {
        if (problem === null) {
          this.options.logger?.info({ path: this.options.path }, `${this.options.protocol} serial device open again`);
        } else {
          this.problem = problem;
          this.#scheduleReopen();
        }
      });
    }, this.options.reopenMs ?? 1_000);
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const stream = this.#stream;
    this.#stream = null;
    if (!stream || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('close', () => resolve());
      stream.destroy();
    });
  }
}
