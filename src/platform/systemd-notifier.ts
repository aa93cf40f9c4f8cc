// Tells systemd how the service is doing (READY, STATUS, WATCHDOG, STOPPING) through the systemd-notify CLI.
// Why the CLI: Node cannot open the unix datagram socket itself, and the npm sd-notify addon needs
// libsystemd-dev to build. systemd-notify (systemd >= 246) waits on a barrier until systemd has read the
// message, so attributing it to the service is reliable (the unit sets NotifyAccess=all).
import { execFile } from 'node:child_process';
import type { Logger } from './logger.js';

export interface NotifierOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The CLI to run; tests may point at another path. */
  command?: string;
  logger: Logger;
}

export class SystemdNotifier {
  readonly enabled: boolean;
  /** Half of WatchdogSec (from WATCHDOG_USEC), or null when the unit has no watchdog. */
  readonly watchdogIntervalMs: number | null;
  private readonly env: NodeJS.ProcessEnv;
  private readonly command: string;
  private readonly logger: Logger;
  /** One message at a time, in order: READY must never overtake STATUS, nor STOPPING a late WATCHDOG. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: NotifierOptions) {
    this.env = options.env ?? process.env;
    this.command = options.command ?? 'systemd-notify';
    this.logger = options.logger;
    this.enabled = typeof this.env['NOTIFY_SOCKET'] === 'string' && this.env['NOTIFY_SOCKET'] !== '';
    const usec = Number(this.env['WATCHDOG_USEC']);
    const forUs = this.env['WATCHDOG_PID'] === undefined || Number(this.env['WATCHDOG_PID']) === process.pid;
    this.watchdogIntervalMs = this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? usec / 1000 / 2 : null;
  }

  ready(status: string): Promise<void> {
    return this.send(['READY=1', `STATUS=${status}`]);
  }

  status(status: string): Promise<void> {
    return this.send([`STATUS=${status}`]);
  }

  watchdog(): Promise<void> {
    return this.send(['WATCHDOG=1']);
  }

  stopping(status: string): Promise<void> {
    // VARIABLE=VALUE form: systemd 252 (Debian 12) has no --stopping flag.
    return this.send(['STOPPING=1', `STATUS=${status}`]);
  }

  private send(args: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    // --pid names us as the sender: systemd-notify is a child, the service's main PID is this process.
    const argv = [`--pid=${process.pid}`, ...args];
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) => {
          execFile(this.command, argv, { env: this.env, timeout: 5000 }, (err) => {
            if (err) this.logger.warn({ err: err.message, args }, 'systemd-notify failed');
            resolve();
          });
        }),
    );
    return this.queue;
  }
}
