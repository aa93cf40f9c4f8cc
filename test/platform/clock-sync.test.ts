// checkClockSync against this machine, the timesyncd flag file, and timedatectl's answers (a stand-in timedatectl).
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClockSync } from '../../src/platform/clock-sync.js';

async function standIn(dir: string, name: string, script: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('checkClockSync', () => {
  it('answers on this machine without throwing, whatever it has', async () => {
    const got = await checkClockSync();
    expect([true, false, null]).toContain(got.synchronized);
    expect(got.evidence.length).toBeGreaterThan(0);
  });

  it('reads the timesyncd flag, then timedatectl yes/no, and says "cannot tell" when timedatectl fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clock-sync-'));
    const missing = join(dir, 'no-such-flag');
    const flag = join(dir, 'synchronized');
    await writeFile(flag, '');
    const yes = await standIn(dir, 'yes', 'echo yes');
    const no = await standIn(dir, 'no', '[ "$1 $2 $3 $4" = "show -p NTPSynchronized --value" ] && echo no');
    const broken = await standIn(dir, 'broken', 'echo "Failed to connect to bus: Host is down" >&2; exit 1');

    expect(await checkClockSync({ timesyncFlagPath: flag, timedatectl: no })).toMatchObject({ synchronized: true });
    expect(await checkClockSync({ timesyncFlagPath: missing, timedatectl: yes })).toMatchObject({ synchronized: true });
    expect(await checkClockSync({ timesyncFlagPath: missing, timedatectl: no })).toEqual({
      synchronized: false,
      evidence: 'timedatectl: NTPSynchronized=no',
    });
    expect(await checkClockSync({ timesyncFlagPath: missing, timedatectl: broken })).toEqual({
      synchronized: null,
      evidence: 'timedatectl could not tell: Failed to connect to bus: Host is down',
    });
    expect((await checkClockSync({ timesyncFlagPath: missing, timedatectl: join(dir, 'absent') })).synchronized).toBeNull();
  });
});
