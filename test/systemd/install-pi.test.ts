// systemd/install-pi.sh --dry-run: the whole plan printed, nothing changed, and existing config kept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/run-cli.js';

const SCRIPT = join(REPO_ROOT, 'systemd/install-pi.sh');

function dryRun(prefix: string, etc: string): string {
  return execFileSync('bash', [SCRIPT, '--dry-run', '--prefix', prefix, '--etc', etc, '--unit-dir', join(etc, 'units')], { encoding: 'utf8' });
}

describe('install-pi.sh --dry-run', () => {
  it('prints every step and changes nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'fieldeye-install-'));
    const prefix = join(root, 'opt');
    const etc = join(root, 'etc');
    const out = dryRun(prefix, etc);
    expect(out).toMatch(/^install-pi: Node 2\d\.\d+\.\d+ at /);
    expect(out).toMatch(/would run: bash -c cd '[^']*fieldeye-build\.[^']*' && ONNXRUNTIME_NODE_INSTALL=skip npm ci/);
    expect(out).toContain(`npm ci --omit=dev`);
    expect(out).toContain(`model synth --seed 1 --out ${prefix}/models/generated/`);
    expect(out).toMatch(/would run: (useradd --system .* fieldeye|usermod -a -G video,dialout fieldeye)/);
    expect(out).toContain(`would run: cp ${REPO_ROOT}/config/pi4.yaml ${etc}/config.yaml`);
    expect(out).toContain(`would write: ${etc}/units/fieldeye.service`);
    expect(existsSync(prefix)).toBe(false);
    expect(existsSync(etc)).toBe(false);
  });

  it('keeps an existing config and secrets file', () => {
    const root = mkdtempSync(join(tmpdir(), 'fieldeye-install-'));
    const etc = join(root, 'etc');
    mkdirSync(etc);
    writeFileSync(join(etc, 'config.yaml'), 'droneId: mine\n');
    writeFileSync(join(etc, 'fieldeye.env'), 'FIELDEYE_MQTT_PASSWORD=x\n');
    const out = dryRun(join(root, 'opt'), etc);
    expect(out).toContain(`install-pi: keeping ${etc}/config.yaml`);
    expect(out).toContain(`install-pi: keeping ${etc}/fieldeye.env`);
    expect(out).not.toContain('config/pi4.yaml');
  });

  it('rejects an unknown option', () => {
    expect(() => execFileSync('bash', [SCRIPT, '--bogus'], { stdio: 'pipe' })).toThrow(/unknown option --bogus/);
  });
});
