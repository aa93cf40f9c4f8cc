// Runs Debian's gpsfake (a real gpsd fed from an NMEA file through a pty) for one test, and stops it with its gpsd.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GPSFAKE_BIN = '/usr/bin/gpsfake';

export interface GpsfakeRun {
  readonly port: number;
  /** Resolves when gpsfake has replayed the whole file once and exited (or was stopped). */
  readonly exited: Promise<void>;
  stderr(): string;
  /** SIGTERM to gpsfake's process group (it includes gpsd), SIGKILL after a grace period (NOTES: -1 may ignore TERM). */
  stop(): Promise<void>;
}

/** Replays `nmea` once through gpsd on `port`; `cycleS` seconds between sentences. */
export async function startGpsfake(nmea: string, port: number, cycleS = 0.05): Promise<GpsfakeRun> {
  try {
    await access(GPSFAKE_BIN, fsConstants.X_OK);
  } catch {
    throw new Error(`startGpsfake: ${GPSFAKE_BIN} not found; run 'bash .ci/install-test-deps.sh' (or: apt-get install gpsd gpsd-clients python3-gps)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'fieldeye-gpsfake-'));
  const file = join(dir, 'track.nmea');
  await writeFile(file, nmea);
  // -n: gpsd reads the device without waiting for a client; -1: one pass; -q: quiet.
  const child: ChildProcess = spawn(GPSFAKE_BIN, ['-q', '-n', '-1', '-P', String(port), '-c', String(cycleS), file], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    port,
    exited,
    stderr: () => err,
    async stop() {
      killGroup('SIGTERM');
      const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 2000).unref());
      if ((await Promise.race([exited.then(() => 'done' as const), grace])) === 'late') killGroup('SIGKILL');
      // gpsd is in the same group and may outlive gpsfake by a moment.
      killGroup('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
