// The demo model helper: seeded backbone + head fitted on a small simulated flight, built once, reused from the cache by content hash, rebuilt when the cached copy is damaged.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelKey, ensureDemoModel, type DemoModelOptions } from '../../src/sim/demo-model.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { cardPathFor, sha256Hex } from '../../src/vision/model-card.js';
import { FIELD_ZONES } from '../../src/flight/recording-format.js';
import { loadModel } from '../../src/vision/model-loader.js';
import { silentLogger } from '../../src/platform/logger.js';
import { packageRoot } from '../../src/platform/package-root.js';

let cacheDir: string;
let options: DemoModelOptions;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'fieldeye-demo-model-'));
  // A small field (24 frames) keeps the build short; the demo itself uses the default 300x200 m.
  options = { cacheDir, backboneDir: join(packageRoot(), 'models', 'generated'), flightSeed: 5, widthM: 120, heightM: 80, logger: silentLogger };
});

afterAll(async () => {
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

describe('ensureDemoModel', () => {
  it('builds a loadable head model named by its key, reuses it on the next call, and leaves no flight behind', async () => {
    const first = await ensureDemoModel(options);
    expect(first.reused).toBe(false);
    expect(first.modelPath).toBe(join(cacheDir, `demo-head-${first.key.slice(0, 16)}.onnx`));
    const loaded = await loadModel(first.modelPath, { logger: silentLogger });
    expect(loaded.card.head?.data).toMatchObject({ kind: 'flight', source: 'sim-seed-5' });
    for (const label of loaded.labels) expect(FIELD_ZONES).toContain(label);
    const backbone = await ensureSynthModel(1, options.backboneDir!);
    expect(first.key).toBe(demoModelKey(options, sha256Hex(await readFile(backbone))));
    expect((await readdir(cacheDir)).sort()).toEqual([
      `demo-head-${first.key.slice(0, 16)}.card.json`,
      `demo-head-${first.key.slice(0, 16)}.labels.txt`,
      `demo-head-${first.key.slice(0, 16)}.onnx`,
    ]);

    const bytes = await readFile(first.modelPath);
    const second = await ensureDemoModel(options);
    expect(second).toMatchObject({ reused: true, modelPath: first.modelPath, key: first.key });
    expect((await readFile(second.modelPath)).equals(bytes)).toBe(true);
  }, 300_000);

  it('rebuilds a damaged cached copy, to the same weights', async () => {
    const { modelPath } = await ensureDemoModel(options);
    const before = await readFile(modelPath);
    const cardPath = cardPathFor(modelPath);
    const card = JSON.parse(await readFile(cardPath, 'utf8')) as { sha256: string };
    await writeFile(cardPath, JSON.stringify({ ...card, sha256: '0'.repeat(64) }));
    const rebuilt = await ensureDemoModel(options);
    expect(rebuilt.reused).toBe(false);
    // Same flight, same split, same deterministic fit: the same model file.
    expect((await readFile(rebuilt.modelPath)).equals(before)).toBe(true);
    expect((await ensureDemoModel(options)).reused).toBe(true);
  }, 300_000);

  it('keys on the training flight, the fitting options and the backbone content', () => {
    const key = demoModelKey(options, 'a'.repeat(64));
    expect(demoModelKey({ ...options }, 'a'.repeat(64))).toBe(key);
    expect(demoModelKey({ ...options, flightSeed: 6 }, 'a'.repeat(64))).not.toBe(key);
    expect(demoModelKey({ ...options, l2: 0.1 }, 'a'.repeat(64))).not.toBe(key);
    expect(demoModelKey({ ...options, widthM: 121 }, 'a'.repeat(64))).not.toBe(key);
    expect(demoModelKey(options, 'b'.repeat(64))).not.toBe(key);
    // Where things are cached is not part of what the model is.
    expect(demoModelKey({ ...options, cacheDir: '/elsewhere' }, 'a'.repeat(64))).toBe(key);
  });
});
