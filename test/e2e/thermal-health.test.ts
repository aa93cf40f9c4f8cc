// End to end: `fieldeye run` on a live (stand-in) camera publishes the thermal state in `health` over real Mosquitto: SoC temperature from a fake sysfs tree, the firmware's throttle flags decoded, and the governor's cap engaging and lifting.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema, type Health } from '../../src/publish/health-schema.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector, type MqttCollector } from '../support/mqtt-collector.js';
import { CLI, REPO_ROOT, runCli } from '../support/run-cli.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';

let work: string;
let broker: MosquittoBroker;

/** The hardware boundary: the SoC's sysfs zone (a file) and the firmware's flags (a STAND-IN vcgencmd that prints a file). */
function setHardware(milliC: number, throttled: string): void {
  writeFileSync(join(work, 'thermal', 'thermal_zone0', 'temp'), `${milliC}\n`);
  writeFileSync(join(work, 'bin', 'throttled.txt'), `throttled=${throttled}\n`);
}

/** Reads health reports in arrival order; each call waits for the next one (after those already read) that passes `match`. */
function healthReader(health: MqttCollector): (match: (h: Health) => boolean, timeoutMs: number) => Promise<Health> {
  let seen = 0;
  return async (match, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const messages = await health.waitFor(seen + 1, deadline - Date.now());
      for (; seen < messages.length;) {
        const report = HealthSchema.parse(JSON.parse((messages[seen++] as { text: string }).text));
        if (match(report)) return report;
      }
    }
    throw new Error(`no matching health report within ${timeoutMs} ms; got: ${health.messages.map((m) => m.text).join('\n')}`);
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-thermal-health-'));
  mkdirSync(join(work, 'thermal', 'thermal_zone0'), { recursive: true });
  writeFileSync(join(work, 'thermal', 'thermal_zone0', 'type'), 'cpu-thermal\n');
  mkdirSync(join(work, 'bin'));
  writeFileSync(
    join(work, 'bin', 'vcgencmd'),
    '#!/bin/sh\n# STAND-IN for the Raspberry Pi firmware tool: prints what the test wrote.\ncat "$(dirname "$0")/throttled.txt"\n',
  );
  chmodSync(join(work, 'bin', 'vcgencmd'), 0o755);
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('thermal state in health', () => {
  it('hot and firmware soft-limiting: capped at thermal.reducedFps with the flags decoded; cool again: the cap lifts', async () => {
    const yuvDir = join(work, 'yuv');
    makeI420Frames(yuvDir, 3, 448, 256, 512);
    const config = join(work, 'hot.yaml');
    writeFileSync(
      config,
      [
        'droneId: hot-drone',
        'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 10 }',
        'model: { intraOpThreads: 1 }',
        'position: { type: none }',
        `sinks: { mqtt: { url: "${broker.url}", healthIntervalS: 1, outbox: { path: ${join(work, 'outbox.sqlite')} } } }`,
        `thermal: { highC: 75, lowC: 70, reducedFps: 0.5, checkIntervalMs: 200, sysfsRoot: ${join(work, 'thermal')} }`,
        '',
      ].join('\n'),
    );
    // Every "now" bit differs from its "since boot" bit, so a swapped or shifted bit shows:
    // now = frequency capped + soft temperature limit, since boot = under-voltage + throttled.
    setHardware(82_000, '0x5000a');
    const health = await startCollector(broker.url, 'fieldeye/v1/hot-drone/health');
    const nextReport = healthReader(health);
    const env = standinEnv(yuvDir).env;
    const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
      cwd: REPO_ROOT,
      env: { ...env, PATH: `${join(work, 'bin')}${delimiter}${env['PATH'] ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Capped, and frames flowing: at 10 fps under a 0.5 fps cap most of them are dropped.
      const hot = await nextReport((h) => h.thermal?.governor?.capped === true && h.thermal.governor.droppedFrames > 0, 60_000);
      expect(hot.cpuTempC).toBe(82);
      expect(hot.throttled).toBe(0x5000a);
      expect(hot.thermal?.firmware).toEqual({
        underVoltageNow: false,
        freqCappedNow: true,
        throttledNow: false,
        softTempLimitNow: true,
        underVoltageOccurred: true,
        freqCappedOccurred: false,
        throttledOccurred: true,
        softTempLimitOccurred: false,
      });
      expect(hot.thermal?.governor).toMatchObject({ capped: true, fpsLimit: 0.5 });

      // Cooled below lowC, the firmware no longer limiting (what happened since boot stays set).
      setHardware(61_500, '0x50000');
      const cool = await nextReport((h) => h.thermal?.governor?.capped === false, 60_000);
      expect(cool.cpuTempC).toBe(61.5);
      expect(cool.throttled).toBe(0x50000);
      expect(cool.thermal?.firmware).toMatchObject({ freqCappedNow: false, softTempLimitNow: false, underVoltageOccurred: true, throttledOccurred: true });
      expect(cool.thermal?.governor?.fpsLimit).toBeNull();
      // A count since the flight started: it never goes back.
      expect(cool.thermal?.governor?.droppedFrames).toBeGreaterThanOrEqual(hot.thermal?.governor?.droppedFrames ?? Infinity);
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      await health.close();
      expect(code, output).toBe(0);
    }
  });

  it('a folder source runs no governor: governor null, temperature and flags still reported', async () => {
    const config = join(work, 'folder.yaml');
    writeFileSync(
      config,
      [
        'droneId: folder-drone',
        `source: { type: images, dir: ${join(REPO_ROOT, 'test', 'fixtures', 'sample-flight')} }`,
        'model: { intraOpThreads: 1 }',
        'position: { type: none }',
        `sinks: { mqtt: { url: "${broker.url}", outbox: { path: ${join(work, 'folder-outbox.sqlite')} } } }`,
        `thermal: { sysfsRoot: ${join(work, 'thermal')} }`,
        '',
      ].join('\n'),
    );
    setHardware(55_250, '0x0');
    const health = await startCollector(broker.url, 'fieldeye/v1/folder-drone/health');
    const run = await runCli(['run', '--config', config, '--max-frames', '2'], { PATH: `${join(work, 'bin')}${delimiter}${process.env['PATH'] ?? ''}` });
    expect(run.code, run.stderr).toBe(0);
    // One report at the start, one at the end of the flight.
    const reports = (await health.waitFor(2, 10_000)).map((m) => HealthSchema.parse(JSON.parse(m.text)));
    await health.close();
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports) {
      expect(r.cpuTempC).toBe(55.25);
      expect(r.thermal).toEqual({
        firmware: {
          underVoltageNow: false,
          freqCappedNow: false,
          throttledNow: false,
          softTempLimitNow: false,
          underVoltageOccurred: false,
          freqCappedOccurred: false,
          throttledOccurred: false,
          softTempLimitOccurred: false,
        },
        governor: null,
      });
    }
  });
});
