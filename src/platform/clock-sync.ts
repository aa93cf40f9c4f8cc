// Tells whether the system clock, which stamps every frame's capturedAt, is synchronised (NTP, chrony, a GPS-disciplined daemon).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';

export interface ClockSync {
  /** true = synchronised, false = the system says it is not, null = cannot tell (no systemd, a container). */
  synchronized: boolean | null;
  /** What the answer rests on, for the log. */
  evidence: string;
}

export interface ClockSyncProbe {
  /** systemd-timesyncd creates this file once it has synchronised the clock. */
  timesyncFlagPath: string;
  /** timedatectl asks timedated, which reads the kernel's adjtimex state: it covers chrony and ntpd too. */
  timedatectl: string;
  timeoutMs: number;
}

export const DEFAULT_CLOCK_SYNC_PROBE: ClockSyncProbe = {
  timesyncFlagPath: '/run/systemd/timesync/synchronized',
  timedatectl: 'timedatectl',
  timeoutMs: 2_000,
};

/** Never throws: a clock that cannot be checked is reported as unknown. */
export async function checkClockSync(probe: Partial<ClockSyncProbe> = {}): Promise<ClockSync> {
  const p = { ...DEFAULT_CLOCK_SYNC_PROBE, ...probe };
  try {
    await access(p.timesyncFlagPath);
    return { synchronized: true, evidence: `${p.timesyncFlagPath} exists (systemd-timesyncd synchronised)` };
  } catch {
    // Not timesyncd, or not synchronised yet: ask timedated.
  }
  const answer = await new Promise<{ out: string; err: string | null }>((resolve) => {
    execFile(p.timedatectl, ['show', '-p', 'NTPSynchronized', '--value'], { timeout: p.timeoutMs }, (err, stdout, stderr) =>
      resolve({ out: String(stdout).trim(), err: err ? (String(stderr).trim().split('\n')[0] ?? '') || err.message : null }),
    );
  });
  if (answer.out === 'yes') return { synchronized: true, evidence: 'timedatectl: NTPSynchronized=yes' };
  if (answer.out === 'no') return { synchronized: false, evidence: 'timedatectl: NTPSynchronized=no' };
  return { synchronized: null, evidence: `timedatectl could not tell: ${answer.err ?? `unexpected answer "${answer.out}"`}` };
}
