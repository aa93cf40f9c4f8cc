// End to end: `fieldeye run` with model.precision auto over an FP32 model and its int8 variant times both on the first start, runs the faster, reports both figures in `health` over real Mosquitto, and answers from its cache on the next start.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema, type Health } from '../../src/publish/health-schema.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { sha256Hex } from '../../src/vision/model-card.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

let work: string;
let broker: MosquittoBroker;
let fp32: string;
let int8: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-precision-auto-'));
  broker = await startMosquitto();
  fp32 = await ensureSynthModel(1, generatedModelsDir());
  int8 = join(work, 'int8.onnx');
  const q = await runCli([
    'quantize',
    '--model',
    fp32,
    '--calibration',
    join(REPO_ROOT, 'test', 'fixtures', 'field-tiles', 'calibration'),
    '--frames',
    '4',
    '--activations',
    process.arch === 'x64' ? 'uint8' : 'int8',
    '--out',
    int8,
  ]);
  if (q.code !== 0) throw new Error(`quantize failed: ${q.stderr}`);
}, 300_000);

afterAll(async () => {
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function flyAndReadHealth(config: string): Promise<Health> {
  const health = await startCollector(broker.url, 'fieldeye/v1/auto-drone/health');
  try {
    const run = await runCli(['run', '--config', config, '--max-frames', '2']);
    expect(run.code, run.stderr).toBe(0);
    const [first] = await health.waitFor(1, 10_000);
    return HealthSchema.parse(JSON.parse(first?.text ?? 'null'));
  } finally {
    await health.close();
  }
}

describe('model.precision: auto in a flight', () => {
  it('times FP32 and int8 on the first start, runs the faster, reports both in health; the next start uses the cache', async () => {
    const cache = join(work, 'state', 'precision.json');
    const config = join(work, 'auto.yaml');
    writeFileSync(
      config,
      [
        'droneId: auto-drone',
        `source: { type: images, dir: ${join(REPO_ROOT, 'test', 'fixtures', 'sample-flight')} }`,
        `model: { path: ${fp32}, int8Path: ${int8}, precision: auto, precisionTimingS: 0.5, precisionCachePath: ${cache}, intraOpThreads: 1 }`,
        'position: { type: none }',
        `sinks: { mqtt: { url: "${broker.url}", outbox: { path: ${join(work, 'outbox.sqlite')} } } }`,
        '',
      ].join('\n'),
    );
    const first = await flyAndReadHealth(config);
    const m = first.model;
    expect(m?.precisionReason).toBe('measured');
    expect(m?.fp32P50Ms).toBeGreaterThan(0);
    expect(m?.int8P50Ms).toBeGreaterThan(0);
    const faster = (m?.int8P50Ms ?? Infinity) < (m?.fp32P50Ms ?? 0) ? 'int8' : 'fp32';
    expect(m?.precision).toBe(faster);
    expect(m?.sha256).toBe(sha256Hex(readFileSync(faster === 'int8' ? int8 : fp32)));

    const second = await flyAndReadHealth(config);
    expect(second.model).toEqual({ ...m, precisionReason: 'cached' });
  }, 300_000);
});
