// End to end: `fieldeye run` with the stand-in rpicam-vid and a fake sysfs tree that reads hot: the thermal cap engages and its drops are counted.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logLines, runCli } from '../support/run-cli.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';

describe('fieldeye run on a hot SoC', () => {
  it('caps frames while hot: fewer results than frames captured, the rest counted as thermal drops, the transition logged', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-e2e-thermal-'));
    const yuvDir = join(work, 'yuv');
    makeI420Frames(yuvDir, 3, 448, 256, 512);
    const sysfs = join(work, 'thermal');
    mkdirSync(join(sysfs, 'thermal_zone0'), { recursive: true });
    writeFileSync(join(sysfs, 'thermal_zone0', 'type'), 'cpu-thermal\n');
    writeFileSync(join(sysfs, 'thermal_zone0', 'temp'), '82000\n');
    const config = join(work, 'hot.yaml');
    const out = join(work, 'hot.jsonl');
    writeFileSync(
      config,
      [
        'log: { level: info }',
        'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 30 }',
        'position: { type: none }',
        'sinks: { mqtt: { enabled: false } }',
        `thermal: { highC: 75, lowC: 70, reducedFps: 0.5, sysfsRoot: ${sysfs} }`,
        '',
      ].join('\n'),
    );
    const run = await runCli(['run', '--config', config, '--max-frames', '30', '--out', out], standinEnv(yuvDir).env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const hot = logLines(run.stdout).find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('SoC hot: frames capped at 0.5 fps'));
    expect(hot?.['temperatureC']).toBe(82);
    const results = readFileSync(out, 'utf8').trim().split('\n');
    expect(results.length).toBeLessThan(30);
    const dropped = /\| frames dropped\s+\|[^\n]*thermal (\d+)/.exec(run.stdout);
    expect(dropped, run.stdout).not.toBeNull();
    expect(Number(dropped?.[1])).toBeGreaterThan(0);
  });
});
