// Thumbnails through a real Mosquitto: every Nth frame as a small JPEG on <prefix>thumb/<seq>, with MQTT 5
// user properties that tie it to its result; none when thumbnails are off; none for a frame over the decode limit.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { writePngBomb } from '../support/png-bomb.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');
const frames = readdirSync(FLIGHT).filter((f) => f.endsWith('.jpg')).length;
let broker: MosquittoBroker;
let work: string;

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'fieldeye-thumbs-'));
});
afterAll(async () => {
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function config(name: string, thumb: string, dir = FLIGHT): string {
  const file = join(work, name);
  writeFileSync(
    file,
    [
      'droneId: thumb-drone',
      'flightId: thumb-flight',
      `source: { type: images, dir: ${dir} }`,
      `sinks: { mqtt: { url: "${broker.url}", outbox: { path: ${join(work, `${name}.sqlite`)} }, thumb: ${thumb} } }`,
    ].join('\n'),
  );
  return file;
}

describe('thumbnails', () => {
  it('publishes every Nth frame as a small JPEG tied to its seq', async () => {
    const collector = await startCollector(broker.url, 'fieldeye/v1/thumb-drone/thumb/#');
    const run = await runCli(['run', '--config', config('on.yaml', '{ enabled: true, everyNth: 3, widthPx: 96, quality: 50 }')]);
    expect(run.code, run.stderr).toBe(0);
    const expectedSeqs = Array.from({ length: frames }, (_, i) => i).filter((i) => i % 3 === 0);
    const got = await collector.waitFor(expectedSeqs.length, 10_000);
    await collector.close();
    expect(got.map((m) => Number(m.topic.split('/').at(-1))).sort((a, b) => a - b)).toEqual(expectedSeqs);
    for (const m of got) {
      const meta = await sharp(m.payload).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(96);
      const props = m.properties?.['userProperties'] as Record<string, string> | undefined;
      expect(props?.['seq']).toBe(m.topic.split('/').at(-1));
      expect(props?.['flightId']).toBe('thumb-flight');
      expect(Date.parse(props?.['capturedAt'] ?? '')).not.toBeNaN();
    }
  });

  it('publishes none when thumbnails are off (the default)', async () => {
    const collector = await startCollector(broker.url, 'fieldeye/v1/thumb-drone/thumb/#');
    const run = await runCli(['run', '--config', config('off.yaml', '{ enabled: false }')]);
    expect(run.code, run.stderr).toBe(0);
    expect(await collector.waitFor(1, 1_500)).toHaveLength(0);
    await collector.close();
  });

  it('makes no preview of a frame over model.maxImageMegapixels: the bomb costs the thumbnail only its header', async () => {
    // 81 MP: over fieldeye's 64 MP default, under sharp's own cap (268 MP), which alone would decode it.
    const dir = join(work, 'bomb-frames');
    mkdirSync(dir);
    const ordinary = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 40, g: 120, b: 40 } } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(dir, 'f0.jpg'), ordinary);
    await writePngBomb(join(dir, 'f1-bomb.png'), 9000, 9000);
    writeFileSync(join(dir, 'f2.jpg'), ordinary);
    const collector = await startCollector(broker.url, 'fieldeye/v1/thumb-drone/thumb/#');
    const run = await runCli(['run', '--config', config('bomb.yaml', '{ enabled: true, everyNth: 1 }', dir)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('image too large to decode: 9000x9000 = 81.0 MP exceeds the limit of 64.0 MP');
    const got = await collector.waitFor(3, 3_000);
    await collector.close();
    expect(got.map((m) => m.topic.split('/').at(-1)).sort()).toEqual(['0', '2']);
  });
});
