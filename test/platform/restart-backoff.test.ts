// Restart backoff: under systemd, consecutive transient failures space the next start out (10 s doubling to 2 min), a
// classified frame resets it, a quiet spell forgets it; and `fieldeye run` records a failed start but not a config error.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RestartBackoff } from '../../src/platform/restart-backoff.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';
import { runCli } from '../support/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'fieldeye-backoff-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('RestartBackoff', () => {
  it('doubles from 10 s to at most 2 min over failures in a row, resets on success and forgets after a quiet spell', () => {
    let now = 1_000_000;
    const dir = join(work, 'unit');
    const backoff = new RestartBackoff({ dir, now: () => now });
    expect(backoff.delay().ms).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      backoff.recordFailure(`camera missing (${i})`);
      delays.push(backoff.delay().ms);
      now += 1_000;
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 120_000, 120_000]);
    expect(backoff.delay().lastError).toBe('camera missing (5)');
    backoff.recordSuccess();
    expect(backoff.delay().ms).toBe(0);
    backoff.recordFailure('again');
    now += 16 * 60_000;
    expect(backoff.delay().ms).toBe(0);
  });

  it('is off outside systemd (no INVOCATION_ID or STATE_DIRECTORY) and survives a damaged state file', () => {
    expect(RestartBackoff.forThisProcess({}).delay().ms).toBe(0);
    const dir = join(work, 'damaged');
    const backoff = new RestartBackoff({ dir });
    backoff.recordFailure('x');
    writeFileSync(join(dir, 'restart-backoff.json'), '{not json');
    expect(backoff.delay().ms).toBe(0);
  });

  it('fieldeye run under systemd: a missing camera is recorded for the backoff (exit 1), a config error is not (exit 78)', async () => {
    const state = join(work, 'state');
    const frames = join(work, 'yuv');
    makeI420Frames(frames, 1, 448, 256, 512);
    const config = join(work, 'cam.yaml');
    writeFileSync(
      config,
      [
        'droneId: backoff',
        'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 10 }',
        'thermal: { enabled: false }',
        'sinks: { mqtt: { enabled: false } }',
      ].join('\n'),
    );
    // The STAND-IN rpicam-vid (no camera here) reports no camera, as the real one does with the cable out.
    const env = { ...standinEnv(frames, 'no-camera').env, INVOCATION_ID: 'test', STATE_DIRECTORY: state };
    const missing = await runCli(['run', '--config', config], env);
    expect(missing.code, missing.stderr).toBe(1);
    const recorded = JSON.parse(readFileSync(join(state, 'restart-backoff.json'), 'utf8')) as { consecutiveFailures: number; lastError: string };
    expect(recorded.consecutiveFailures).toBe(1);
    expect(recorded.lastError).toMatch(/camera/i);

    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'droneId: backoff\nsinks: { mqtt: { url: "ftp://gs.local" } }\n');
    rmSync(join(state, 'restart-backoff.json'));
    const configError = await runCli(['run', '--config', bad], env);
    expect(configError.code, configError.stderr).toBe(78);
    expect(configError.stderr).toContain('sinks.mqtt.url: expected a broker URL such as mqtt://host:1883');
    expect(existsSync(join(state, 'restart-backoff.json'))).toBe(false);
  }, 120_000);
});
