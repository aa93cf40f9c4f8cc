// End to end: `fieldeye run` on the sample flight publishes to a real Mosquitto broker; every message is
// schema-valid, one per frame, seq contiguous, positions equal to the frames' EXIF GPS tags.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import exifr from 'exifr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../src/publish/health-schema.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { REPO_ROOT, logLines, runCli } from '../support/run-cli.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');
const BAD = join(REPO_ROOT, 'test/fixtures/bad-frames');
const frameFiles = readdirSync(FLIGHT).filter((f) => /\.jpe?g$/i.test(f));

let broker: MosquittoBroker;
let work: string;

function writeConfig(name: string, lines: string[]): string {
  const file = join(work, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'fieldeye-e2e-'));
});

afterAll(async () => {
  await broker?.stop();
});

describe('fieldeye run: first flight through a real Mosquitto', () => {
  it('publishes one valid, geotagged result per frame, in order', async () => {
    const config = writeConfig('flight.yaml', [
      'droneId: e2e-drone',
      'flightId: e2e-flight-1',
      'log: { level: info }',
      `source: { type: images, dir: ${FLIGHT} }`,
      `sinks: { mqtt: { url: "${broker.url}", protocolVersion: 5 } }`,
    ]);
    const collector = await startCollector(broker.url, 'fieldeye/v1/e2e-drone/#');
    const out = join(work, 'results.jsonl');
    const run = await runCli(['run', '--config', config, '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);

    // The filter also catches flight and health documents: wait for the last thing sent, the retained offline.
    const deadline = Date.now() + 10_000;
    while (!collector.messages.some((m) => m.topic.endsWith('/status') && m.text === 'offline') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const all = [...collector.messages];
    await collector.close();
    const results = all.filter((m) => m.topic === 'fieldeye/v1/e2e-drone/result');
    expect(results).toHaveLength(frameFiles.length);
    for (const m of results) expect(m.qos).toBe(1);

    const parsed: Result[] = results.map((m) => ResultSchema.parse(JSON.parse(m.text)));
    expect(parsed.map((r) => r.seq)).toEqual(frameFiles.map((_, i) => i));
    for (const r of parsed) {
      expect(r.droneId).toBe('e2e-drone');
      expect(r.flightId).toBe('e2e-flight-1');
      expect(r.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.top).toHaveLength(5);
      // Independent read of the frame's own tags.
      const bytes = readFileSync(join(FLIGHT, r.frame.name));
      const gps = await exifr.gps(bytes);
      const tags = (await exifr.parse(bytes, { gps: true, pick: ['GPSAltitude'] })) as { GPSAltitude: number };
      expect(r.position).not.toBeNull();
      expect(r.position?.latDeg).toBe(gps.latitude);
      expect(r.position?.lonDeg).toBe(gps.longitude);
      expect(r.position?.altMslM).toBe(tags.GPSAltitude);
      expect(r.positionReason).toBeNull();
    }
    // Capture order: times never go backwards.
    const times = parsed.map((r) => Date.parse(r.capturedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The JSON-lines file holds the same results.
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => ResultSchema.parse(JSON.parse(l)));
    expect(lines.map((r) => [r.seq, r.top[0]?.index])).toEqual(parsed.map((r) => [r.seq, r.top[0]?.index]));

    // Status: online while flying, retained offline at the end.
    const status = all.filter((m) => m.topic === 'fieldeye/v1/e2e-drone/status').map((m) => m.text);
    expect(status[0]).toBe('online');
    expect(status.at(-1)).toBe('offline');

    // Every stage logs through a child logger.
    expect(run.stdout).toMatch(/\| results\s+\| /);
  });

  it('skips bad frames with their seq and stage, and the flight goes on', async () => {
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    for (const f of frameFiles.slice(0, 3)) copyFileSync(join(FLIGHT, f), join(dir, f));
    const bad = readdirSync(BAD).filter((f) => /\.jpe?g$/i.test(f));
    for (const f of bad) copyFileSync(join(BAD, f), join(dir, `zz-${f}`));
    const config = writeConfig('mixed.yaml', [
      'droneId: e2e-drone',
      'flightId: e2e-flight-2',
      `source: { type: images, dir: ${dir} }`,
      `sinks: { mqtt: { url: "${broker.url}" } }`,
    ]);
    const collector = await startCollector(broker.url, 'fieldeye/v1/e2e-drone/result');
    const healthCollector = await startCollector(broker.url, 'fieldeye/v1/e2e-drone/health');
    const run = await runCli(['run', '--config', config]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const logs = logLines(run.stdout);
    const skipped = logs.filter((l) => l['msg'] === 'frame skipped');
    const undecodable = bad.filter((f) => !/nogps|no-gps/i.test(f)).length;
    expect(skipped).toHaveLength(undecodable);
    for (const s of skipped) {
      expect(s['stage']).toBe('preprocess');
      expect(s['fault']).toBe('input');
      expect(typeof s['seq']).toBe('number');
      expect(String(s['err'])).toMatch(/not a decodable image|image/i);
    }
    // Health reports the faults by code: the flight's last report counts every bad frame as an input fault.
    const frames = 3 + bad.length;
    const final = async () => healthCollector.messages.map((m) => HealthSchema.parse(JSON.parse(m.text))).find((h) => h.frames === frames);
    for (let waited = 0; !(await final()) && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    await healthCollector.close();
    const faults = (await final())?.faults;
    expect(faults?.counts).toEqual({ config: 0, input: undecodable, model: 0, link: 0, hardware: 0, internal: 0 });
    expect(faults?.last).toMatchObject({ code: 'input', stage: 'preprocess' });
    expect(faults?.last?.message).toMatch(/not a decodable image/);
    const published = await collector.waitFor(3 + (bad.length - undecodable), 10_000);
    await collector.close();
    expect(published).toHaveLength(3 + (bad.length - undecodable));
    const noGps = published.map((m) => ResultSchema.parse(JSON.parse(m.text))).filter((r) => r.position === null);
    expect(noGps.map((r) => r.positionReason)).toEqual(noGps.map(() => 'frame has no EXIF GPS position'));
  });

  it('an unreachable broker is a link that is down, not a lost flight: every frame is classified and kept in the outbox', async () => {
    const config = writeConfig('nobroker.yaml', [
      `source: { type: images, dir: ${FLIGHT} }`,
      `sinks: { mqtt: { url: "mqtt://127.0.0.1:1", connectTimeoutMs: 2000, outbox: { path: ${join(work, 'nobroker.sqlite')}, drainTimeoutMs: 500 } } }`,
    ]);
    const run = await runCli(['run', '--config', config]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/mqtt: cannot reach broker mqtt:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
    const results = Number(/\| results\s+\| (\d+)/.exec(run.stdout)?.[1]);
    expect(results).toBeGreaterThan(0);
    expect(run.stdout).toMatch(new RegExp(`still queued\\s+\\| ${results} \\(sent on next start\\)`));
  });

  it('a config with an unknown key stops before anything starts', async () => {
    const config = writeConfig('typo.yaml', [`source: { type: images, dir: ${FLIGHT} }`, 'model: { topk: 3 }']);
    const run = await runCli(['run', '--config', config]);
    // EX_CONFIG: systemd does not restart a service whose configuration is wrong.
    expect(run.code).toBe(78);
    expect(run.stderr).toBe(
      `fieldeye: config ${config}: 1 problem:\n  model.topk: unknown key; allowed keys here: path, synthSeed, preprocess, maxImageMegapixels, topK, intraOpThreads, int8Path, precision, precisionTimingS, precisionCachePath\n`,
    );
  });
});
