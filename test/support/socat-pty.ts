// Starts Debian's socat joining two pseudo-terminals (a real serial-like device pair) for one test, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, lstat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { join } from 'node:path';

export const SOCAT_BIN = '/usr/bin/socat';

export interface PtyPair {
  /** The end fieldeye opens (a symlink to /dev/pts/N). */
  readonly device: string;
  /** The end the test writes to, like the GPS or the flight controller on the other side of the cable. */
  readonly peer: string;
  /** Stops socat: both ends go away, as when a USB adapter is unplugged. */
  stop(): Promise<void>;
}

/** Both ends as symlinks in `dir` named `<name>-device` and `<name>-peer`; resolves when both exist. */
export async function startPtyPair(dir: string, name = 'tty'): Promise<PtyPair> {
  try {
    await access(SOCAT_BIN, fsConstants.X_OK);
  } catch {
    throw new Error(`startPtyPair: ${SOCAT_BIN} not found; run 'bash .ci/install-test-deps.sh' (or: apt-get install socat)`);
  }
  const device = join(dir, `${name}-device`);
  const peer = join(dir, `${name}-peer`);
  const child: ChildProcess = spawn(SOCAT_BIN, [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${peer}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const both = await Promise.all([lstat(device), lstat(peer)]).then(
      () => true,
      () => false,
    );
    if (both) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`socat did not make the pseudo-terminals: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    device,
    peer,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
