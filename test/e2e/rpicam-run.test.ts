// End to end: `fieldeye run` with source type rpicam against a STAND-IN rpicam-vid on PATH (no camera here): yuv420 and mjpeg flights, a restart, a missing camera.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { readFlight } from '../../src/flight/flight-reader.js';
import { HealthSchema } from '../../src/publish/health-schema.js';
import { startMosquitto } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { logLines, runCli } from '../support/run-cli.js';
import { makeI420Frames, makeMjpegFrames, standinEnv } from '../support/rpicam-standin.js';

let work: string;
let yuvDir: string;
let jpegDir: string;

function flight(name: string, source: string, sinks = 'sinks: { mqtt: { enabled: false } }'): { config: string; out: string } {
  const config = join(work, `${name}.yaml`);
  writeFileSync(
    config,
    ['droneId: cam-drone', `flightId: ${name}`, 'log: { level: info }', `source: ${source}`, 'position: { type: none }', sinks].join('\n') + '\n',
  );
  return { config, out: join(work, `${name}.jsonl`) };
}

function results(out: string) {
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => ResultSchema.parse(JSON.parse(l)));
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-e2e-rpicam-'));
  yuvDir = join(work, 'yuv');
  makeI420Frames(yuvDir, 3, 448, 256, 512);
  jpegDir = join(work, 'mjpeg');
  makeMjpegFrames(jpegDir, 3, 640, 480);
});

describe('fieldeye run with a stand-in rpicam-vid', () => {
  it('yuv420 (stride 512 for width 448): one result per delivered frame, sensor capture times, drops reported', async () => {
    const standin = standinEnv(yuvDir);
    const { config, out } = flight('yuv', '{ type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 30 }');
    const run = await runCli(['run', '--config', config, '--max-frames', '6', '--out', out], standin.env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const rs = results(out);
    expect(rs.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of rs) {
      expect(r.timeSource).toBe('sensor');
      expect(r.frame.name).toMatch(/^rpicam-1-\d+$/);
      expect(r.timingsMs.decode).toBe(0); // raw path: nothing to decode
    }
    expect(run.stdout).toMatch(/\| frames dropped\s+\|/);
    expect(standin.runs()[0]?.argv).toEqual(expect.arrayContaining(['--codec', 'yuv420', '--width', '448', '--height', '256']));
  });

  it('mjpeg through a crash of rpicam-vid: restarted, the flight goes on', async () => {
    const standin = standinEnv(jpegDir, 'crash-after:2,normal');
    const { config, out } = flight('mjpeg', '{ type: rpicam, codec: mjpeg, widthPx: 640, heightPx: 480, framerateFps: 30, restartMinMs: 10 }');
    const run = await runCli(['run', '--config', config, '--max-frames', '5', '--out', out], standin.env);
    expect(run.code, run.stderr).toBe(0);
    const rs = results(out);
    expect(rs.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(rs.some((r) => r.frame.name.startsWith('rpicam-2-'))).toBe(true);
    expect(standin.runs()).toHaveLength(2);
    const restart = logLines(run.stdout).find((l) => l['msg'] === 'rpicam-vid ended: restarting it');
    expect(restart?.['exit']).toMatch(/exit code 255/);
    expect(run.stdout).toMatch(/\| frames dropped\s+\| .*truncated 1/);
  });

  it("auto-exposure: the recording keeps each frame's exposure as rpicam-vid reported it (--metadata)", async () => {
    const standin = standinEnv(jpegDir);
    // The stand-in's auto-exposure: 3,000 us + 10 x frame index, so each recorded value names the frame it came from.
    const env = { ...standin.env, STANDIN_EXPOSURE_US: Array.from({ length: 400 }, (_, k) => 3000 + 10 * k).join(',') };
    const rec = join(work, 'ae-recordings');
    const sinks = `sinks: { mqtt: { enabled: false } }\nrecord: { enabled: true, dir: ${rec} }`;
    const { config, out } = flight('ae', '{ type: rpicam, codec: mjpeg, widthPx: 640, heightPx: 480, framerateFps: 30 }', sinks);
    const run = await runCli(['run', '--config', config, '--max-frames', '30', '--out', out], env);
    expect(run.code, run.stderr).toBe(0);
    const argv = standin.runs()[0]?.argv ?? [];
    expect(argv[argv.indexOf('--metadata-format') + 1]).toBe('json');
    const recorded = await readFlight(join(rec, readdirSync(rec)[0]!));
    const exposures = recorded.frames.map((f) => [Number(f.name.split('-')[2]), f.source['exposureUs'] as number | undefined] as const);
    expect(exposures).toHaveLength(30);
    // The first frames leave before rpicam-vid's buffered metadata arrives; the rest carry a value of their own frame
    // or an earlier one.
    const known = exposures.filter(([, us]) => us !== undefined);
    expect(known.length).toBeGreaterThan(5);
    for (const [index, us] of known) {
      const from = ((us as number) - 3000) / 10;
      expect(Number.isInteger(from) && from <= index, `frame ${index}: ${us} us`).toBe(true);
    }
  });

  it('the health topic carries the camera state and its restarts', async () => {
    const broker = await startMosquitto();
    try {
      const standin = standinEnv(jpegDir, 'crash-after:2,normal');
      const sinks = `sinks: { mqtt: { url: "${broker.url}", outbox: { path: ${join(work, 'health.sqlite')} } } }`;
      const { config } = flight('health', '{ type: rpicam, codec: mjpeg, widthPx: 640, heightPx: 480, framerateFps: 30, restartMinMs: 10 }', sinks);
      const health = await startCollector(broker.url, 'fieldeye/v1/cam-drone/health');
      const run = await runCli(['run', '--config', config, '--max-frames', '5'], standin.env);
      expect(run.code, run.stderr).toBe(0);
      const reports = (await health.waitFor(2, 10_000)).map((m) => HealthSchema.parse(JSON.parse(m.text)));
      await health.close();
      // The first report comes at start, the last at the end of the flight, after the restart.
      expect(reports[0]?.camera?.present).toBe(true);
      expect(reports.at(-1)?.camera).toMatchObject({ present: true, restarts: 1 });
    } finally {
      await broker.stop();
    }
  });

  it('no camera: one clear error line, non-zero exit, no restart loop', async () => {
    const standin = standinEnv(jpegDir, 'no-camera');
    const { config, out } = flight('nocam', '{ type: rpicam }');
    const run = await runCli(['run', '--config', config, '--max-frames', '2', '--out', out], standin.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^fieldeye: source rpicam: no camera found by .*no cameras available.*check the camera cable/);
    expect(standin.runs()).toHaveLength(1);
  });

  it('a yuv420 size that is not at model scale is refused before the camera starts', async () => {
    const standin = standinEnv(yuvDir);
    const { config, out } = flight('badsize', '{ type: rpicam, widthPx: 640, heightPx: 480 }');
    const run = await runCli(['run', '--config', config, '--out', out], standin.env);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/source.widthPx\/heightPx 640x480: for yuv420 the shorter side must be the model's resize size \(256\)/);
    expect(standin.runs()).toHaveLength(0);
  });
});
