// The systemd unit: `systemd-analyze verify` with no output at all (it exits 0 on unknown keys, so any
// stderr is a failure) and an exposure score of at most 2.0 from `systemd-analyze security`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/run-cli.js';

const UNIT = join(REPO_ROOT, 'systemd/fieldeye.service');

/** verify insists ExecStart's binary exists: where /usr/bin/node is absent, point at this Node for the check only. */
function unitForThisMachine(): string {
  let text = readFileSync(UNIT, 'utf8');
  if (!existsSync('/usr/bin/node')) text = text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
  const file = join(mkdtempSync(join(tmpdir(), 'fieldeye-unit-')), 'fieldeye.service');
  writeFileSync(file, text);
  return file;
}

describe('systemd/fieldeye.service', () => {
  it('verifies without a single warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', unitForThisMachine()], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has an exposure score of at most 2.0', () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unitForThisMachine()], { encoding: 'utf8' });
    const m = /Overall exposure level for fieldeye\.service: (\d+\.\d)/.exec(out);
    expect(m, out).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(2.0);
  });

  it('is a notify service with a watchdog, restarts that never give up except on a config error, and the state and config directories', () => {
    const text = readFileSync(UNIT, 'utf8');
    expect(text).not.toMatch(/^StartLimitBurst=/m);
    for (const line of [
      'Type=notify',
      'WatchdogSec=',
      'Restart=on-failure',
      'StartLimitIntervalSec=0',
      'RestartPreventExitStatus=78',
      'StateDirectory=fieldeye',
      'ConfigurationDirectory=fieldeye',
      'EnvironmentFile=-/etc/fieldeye/fieldeye.env',
      'SupplementaryGroups=video dialout',
      'ProtectSystem=strict',
      'SystemCallFilter=@system-service',
    ]) {
      expect(text).toContain(line);
    }
  });
});
