// `fieldeye preflight` against real Mosquitto, gpsd fed by gpsfake and the stand-in rpicam-vid: go, and no-go with the right check failing.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';
import { freeLoopbackPort, startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startGpsfake, type GpsfakeRun } from '../support/gpsfake.js';
import { startCollector } from '../support/mqtt-collector.js';
import { curvedPath, nmeaFor } from '../support/nmea-track.js';

interface Report {
  go: boolean;
  checks: Array<{ name: string; status: 'ok' | 'warn' | 'fail'; detail: string }>;
}

let work: string;
let yuvDir: string;
let broker: MosquittoBroker;
let gpsPort: number;
let gps: GpsfakeRun;

/** A fake sysfs thermal tree at `milliC`. */
function thermalRoot(name: string, milliC: number): string {
  const root = join(work, name);
  mkdirSync(join(root, 'thermal_zone0'), { recursive: true });
  writeFileSync(join(root, 'thermal_zone0', 'type'), 'cpu-thermal\n');
  writeFileSync(join(root, 'thermal_zone0', 'temp'), `${milliC}\n`);
  return root;
}

function writeConfig(name: string, overrides: { brokerUrl: string; position: string; modelPath?: string; thermal?: string }): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 20 }',
      `model: { path: "${overrides.modelPath ?? ''}" }`,
      `position: ${overrides.position}`,
      `sinks: { mqtt: { url: "${overrides.brokerUrl}", connectTimeoutMs: 2000, outbox: { path: ${join(work, name, 'outbox.sqlite')} } } }`,
      `record: { enabled: true, dir: ${join(work, name, 'recordings')} }`,
      'preflight: { cameraTimeoutMs: 10000, gpsTimeoutMs: 20000, minFreeDiskMb: 1 }',
      `thermal: { sysfsRoot: ${overrides.thermal ?? thermalRoot(`${name}-thermal`, 48_000)} }`,
      '',
    ].join('\n'),
  );
  return path;
}

async function preflight(config: string, plan = 'normal', extra: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const run = await runCli(['preflight', '--config', config, '--json', ...extra], standinEnv(yuvDir, plan).env);
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`preflight printed no JSON report (exit ${run.code}); stderr:\n${run.stderr}`);
  }
  return { code: run.code, report, stderr: run.stderr };
}

const failing = (report: Report) => report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
const fixedPosition = '{ type: fixed }';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-preflight-'));
  yuvDir = join(work, 'yuv');
  makeI420Frames(yuvDir, 3, 448, 256, 512);
  broker = await startMosquitto();
  gpsPort = await freeLoopbackPort();
  // Long enough (0.2 s per epoch) that gpsd is still reporting when the preflight connects.
  gps = await startGpsfake(nmeaFor(curvedPath(Date.now(), 600)), gpsPort, 0.2);
});

afterAll(async () => {
  await gps?.stop();
  await broker?.stop();
});

describe('fieldeye preflight', () => {
  it('go with a delivering camera, the model, a gpsd fix and a reachable Mosquitto; --publish leaves the report retained', async () => {
    const config = writeConfig('go', { brokerUrl: broker.url, position: `{ type: gpsd, gpsd: { port: ${gpsPort} } }` });
    // Everything under the drone's prefix while the preflight runs: the check must not touch `status` (no online/offline, no will).
    const seen = await startCollector(broker.url, 'fieldeye/v1/drone-1/#');
    const run = await preflight(config, 'normal', ['--publish']);
    expect(failing(run.report), JSON.stringify(run.report, null, 2) + run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.report.go).toBe(true);
    const byName = Object.fromEntries(run.report.checks.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['broker', 'camera', 'clock', 'disk', 'gps', 'model', 'temperature']);
    expect(byName['camera']?.status).toBe('ok');
    expect(byName['gps']?.detail).toMatch(/^gpsd: [23]D fix/);
    expect(byName['broker']?.status).toBe('ok');
    expect(byName['broker']?.detail).toMatch(
      /^broker mqtt:\/\/127\.0\.0\.1:\d+ reachable: accepted an MQTT 5 connection as "fieldeye-drone-1-preflight"; the broker delivered a publish on fieldeye\/v1\/drone-1\/preflight\/check back to this client$/,
    );
    expect(byName['model']?.detail).toMatch(/card and 1000 labels consistent/);
    expect(byName['temperature']?.detail).toMatch(/48\.0 °C/);

    const client = await connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const retained = new Promise<Report>((resolve) => client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as Report)));
      await client.subscribeAsync('fieldeye/v1/drone-1/preflight', { qos: 1 });
      const published = await retained;
      expect(published.go).toBe(true);
      expect(published.checks).toHaveLength(7);
      // A marker sent after the preflight exited arrives after anything the preflight sent: nothing but its non-retained
      // delivery check and the report came before it.
      await client.publishAsync('fieldeye/v1/drone-1/test-marker', 'end', { qos: 1 });
      const topics = (await seen.waitFor(3, 10_000)).map((m) => m.topic);
      expect(topics).toEqual(['fieldeye/v1/drone-1/preflight/check', 'fieldeye/v1/drone-1/preflight', 'fieldeye/v1/drone-1/test-marker']);
      expect(seen.messages[0]?.retain ?? false).toBe(false);
    } finally {
      await client.endAsync();
      await seen.close();
    }
  });

  it('no-go on a stopped broker: only the broker check fails', async () => {
    const stopped = await startMosquitto();
    await stopped.stop();
    const run = await preflight(writeConfig('no-broker', { brokerUrl: stopped.url, position: fixedPosition }));
    expect(failing(run.report), run.stderr).toEqual(['broker']);
    expect(run.report.checks.find((c) => c.name === 'broker')?.detail).toMatch(
      /cannot reach broker mqtt:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is it running\?/,
    );
    expect(run.code).toBe(1);
    expect(run.report.go).toBe(false);
  });

  it('no-go on a missing model: the model check fails and says how to make one', async () => {
    const run = await preflight(writeConfig('no-model', { brokerUrl: '', position: fixedPosition, modelPath: join(work, 'missing.onnx') }));
    expect(failing(run.report), run.stderr).toEqual(['model']);
    expect(run.report.checks.find((c) => c.name === 'model')?.detail).toMatch(/model file not found: .*missing\.onnx\. Create it with/);
    expect(run.code).toBe(1);
  });

  it('no-go without a camera: the camera check fails', async () => {
    const run = await preflight(writeConfig('no-camera', { brokerUrl: '', position: fixedPosition }), 'no-camera');
    expect(failing(run.report), run.stderr).toEqual(['camera']);
    expect(run.code).toBe(1);
  });

  it('no-go when the SoC is at or above thermal.highC', async () => {
    const run = await preflight(writeConfig('hot', { brokerUrl: '', position: fixedPosition, thermal: thermalRoot('hot-thermal', 81_500) }));
    expect(failing(run.report), run.stderr).toEqual(['temperature']);
    expect(run.report.checks.find((c) => c.name === 'temperature')?.detail).toMatch(/81\.5 °C, at or above thermal\.highC 75/);
    expect(run.code).toBe(1);
  });
});
