// precision auto: both variants are timed in the real inference worker on first start, the faster is used and remembered per CPU and runtime, and the cache is honoured, keyed and survives a broken file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { quantizeModelFile } from '../../src/model/quantize-model.js';
import { silentLogger } from '../../src/platform/logger.js';
import { machineInfo, type MachineInfo } from '../../src/platform/machine-info.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { loadModel, type LoadedModel } from '../../src/vision/model-loader.js';
import { choosePrecision, precisionCacheKey } from '../../src/vision/precision-choice.js';
import { selectModel } from '../../src/app/select-model.js';
import { capturingLogger } from '../support/capturing-logger.js';

let dir: string;
let fp32: LoadedModel;
let int8: LoadedModel;
const tiles = join(packageRoot(), 'test', 'fixtures', 'field-tiles', 'calibration');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fieldeye-precision-'));
  fp32 = await loadModel(await ensureSynthModel(1, generatedModelsDir()));
  const q = await quantizeModelFile({
    modelPath: fp32.path,
    calibrationDir: tiles,
    frames: 4,
    method: 'minmax',
    percentile: 99.99,
    outPath: join(dir, 'int8.onnx'),
    firstConv: 'int8',
    lastFc: 'int8',
    preprocess: 'fast',
    activations: process.arch === 'x64' ? 'uint8' : 'int8',
  });
  int8 = await loadModel(q.outPath);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('choosePrecision', () => {
  it('times both variants in the inference worker on first start, picks the faster and writes the cache', async () => {
    const cachePath = join(dir, 'state', 'precision.json');
    const choice = await choosePrecision({ fp32, int8, threads: 1, timingS: 0.5, cachePath, logger: silentLogger });
    expect(choice.reason).toBe('measured');
    const t = choice.timing;
    expect(t).not.toBeNull();
    expect(t!.fp32P50Ms).toBeGreaterThan(0);
    expect(t!.int8P50Ms).toBeGreaterThan(0);
    expect(choice.precision).toBe(t!.int8P50Ms < t!.fp32P50Ms ? 'int8' : 'fp32');
    const machine = machineInfo();
    expect(choice.key).toBe(precisionCacheKey(machine, 1, fp32.sha256, int8.sha256));
    expect(choice.key).toContain(machine.cpuModel);
    expect(choice.key).toContain(`onnxruntime-node ${machine.versions['onnxruntime-node']}`);
    const saved = JSON.parse(readFileSync(cachePath, 'utf8')) as { entries: Record<string, { precision: string; fp32P50Ms: number }> };
    expect(saved.entries[choice.key!]?.precision).toBe(choice.precision);
    expect(saved.entries[choice.key!]?.fp32P50Ms).toBe(t!.fp32P50Ms);

    // Second start on the same CPU and runtime: the cache answers, nothing is timed.
    const again = await choosePrecision({
      fp32,
      int8,
      threads: 1,
      timingS: 0.5,
      cachePath,
      logger: silentLogger,
      measure: () => Promise.reject(new Error('must not time again')),
    });
    expect(again).toEqual({ ...choice, reason: 'cached' });
  });

  it('measures again for another runtime version or thread count, and keeps the other entries', async () => {
    const cachePath = join(dir, 'keyed.json');
    const machine: MachineInfo = { ...machineInfo(), versions: { 'onnxruntime-node': '1.30.0' } };
    // A stand-in timer here: what is tested is the keying, the real timing is the test above.
    const timer = (fp32Ms: number, int8Ms: number) => (m: LoadedModel) => Promise.resolve(m === fp32 ? fp32Ms : int8Ms);
    const a = await choosePrecision({ fp32, int8, threads: 1, timingS: 0.1, cachePath, logger: silentLogger, machine, measure: timer(10, 20) });
    expect(a).toMatchObject({ precision: 'fp32', reason: 'measured' });
    const newer = { ...machine, versions: { 'onnxruntime-node': '1.31.0' } };
    const b = await choosePrecision({ fp32, int8, threads: 1, timingS: 0.1, cachePath, logger: silentLogger, machine: newer, measure: timer(10, 5) });
    expect(b).toMatchObject({ precision: 'int8', reason: 'measured' });
    const c = await choosePrecision({ fp32, int8, threads: 2, timingS: 0.1, cachePath, logger: silentLogger, machine, measure: timer(30, 5) });
    expect(c).toMatchObject({ precision: 'int8', reason: 'measured' });
    const d = await choosePrecision({
      fp32,
      int8,
      threads: 1,
      timingS: 0.1,
      cachePath,
      logger: silentLogger,
      machine,
      measure: () => Promise.reject(new Error('cached')),
    });
    expect(d).toMatchObject({ precision: 'fp32', reason: 'cached', timing: { fp32P50Ms: 10, int8P50Ms: 20 } });
    expect(Object.keys((JSON.parse(readFileSync(cachePath, 'utf8')) as { entries: object }).entries)).toHaveLength(3);
  });

  it('re-measures over a broken cache file and rewrites it as valid JSON', async () => {
    const cachePath = join(dir, 'broken.json');
    writeFileSync(cachePath, '{"entries": {"cpu');
    const { logger, text } = capturingLogger();
    const r = await choosePrecision({ fp32, int8, threads: 1, timingS: 0.1, cachePath, logger, measure: (m) => Promise.resolve(m === fp32 ? 9 : 3) });
    expect(r).toMatchObject({ precision: 'int8', reason: 'measured' });
    expect(text()).toMatch(/precision cache is not valid JSON/);
    expect(existsSync(cachePath)).toBe(true);
    expect(() => JSON.parse(readFileSync(cachePath, 'utf8')) as unknown).not.toThrow();
  });
});

describe('selectModel (model.precision over model.path and model.int8Path)', () => {
  const base = { synthSeed: 1, preprocess: 'fast' as const, maxImageMegapixels: 64, topK: 5, intraOpThreads: 1, precisionTimingS: 0.5 };

  it('auto with both variants times them once, then the cache answers; the running model is the chosen one', async () => {
    const precisionCachePath = join(dir, 'select.json');
    const cfg = { ...base, path: fp32.path, int8Path: int8.path, precision: 'auto' as const, precisionCachePath };
    const first = await selectModel(cfg, 1, silentLogger);
    expect(first.choice.reason).toBe('measured');
    expect(first.model.sha256).toBe(first.choice.precision === 'int8' ? int8.sha256 : fp32.sha256);
    const second = await selectModel(cfg, 1, silentLogger);
    expect(second.choice.reason).toBe('cached');
    expect(second.model.sha256).toBe(first.model.sha256);
  });

  it('honours a configured precision, and auto with one model uses it without timing', async () => {
    const precisionCachePath = join(dir, 'unused.json');
    const int8Run = await selectModel({ ...base, path: fp32.path, int8Path: int8.path, precision: 'int8', precisionCachePath }, 1, silentLogger);
    expect(int8Run.model.card.precision).toBe('int8');
    expect(int8Run.choice.reason).toBe('configured');
    const only = await selectModel({ ...base, path: fp32.path, int8Path: '', precision: 'auto', precisionCachePath }, 1, silentLogger);
    expect(only.choice).toMatchObject({ precision: 'fp32', reason: 'only-variant', timing: null });
    expect(existsSync(precisionCachePath)).toBe(false);
  });

  it('refuses a pair that is not one network, and a precision with no model, naming the keys', async () => {
    const precisionCachePath = join(dir, 'unused.json');
    await expect(selectModel({ ...base, path: fp32.path, int8Path: fp32.path, precision: 'auto', precisionCachePath }, 1, silentLogger)).rejects.toThrow(
      /model\.int8Path: expected an int8 model/,
    );
    await expect(selectModel({ ...base, path: int8.path, int8Path: int8.path, precision: 'auto', precisionCachePath }, 1, silentLogger)).rejects.toThrow(
      /model\.path: with model\.int8Path set, model\.path must be the FP32 model/,
    );
    await expect(selectModel({ ...base, path: fp32.path, int8Path: '', precision: 'int8', precisionCachePath }, 1, silentLogger)).rejects.toThrow(
      /model\.precision: "int8" needs model\.int8Path/,
    );
    const other = await loadModel(await ensureSynthModel(2, generatedModelsDir()));
    // Same labels and input (both are generated ImageNet models), so only the FP32 check can tell them apart: seed 2 is FP32.
    await expect(selectModel({ ...base, path: fp32.path, int8Path: other.path, precision: 'auto', precisionCachePath }, 1, silentLogger)).rejects.toThrow(
      /model\.int8Path: expected an int8 model/,
    );
  });
});
