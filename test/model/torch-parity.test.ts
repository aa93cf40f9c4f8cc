// onnxruntime vs PyTorch on the seed-1 model, through test/fixtures/golden/torch-parity.py (Debian's python3-torch, installed by `npm test`'s pretest).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { syntheticBatch } from '../../src/model/synthetic-images.js';
import { packageRoot } from '../../src/platform/package-root.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(import.meta.dirname, '../fixtures/golden/torch-parity.py');

describe('PyTorch parity (torch-parity.py)', () => {
  let dir: string;
  let modelPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldeye-parity-'));
    modelPath = await ensureSynthModel(1, join(packageRoot(), 'models', 'generated'));
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('matches onnxruntime-node within 1e-3 (max abs) on a batch and a single image', async () => {
    const batch = syntheticBatch(2024, 3, { sizePx: 224 }).data;
    const pair = join(dir, 'pair.f32');
    const single = join(dir, 'single.f32');
    await writeFile(pair, batch.subarray(0, 2 * 3 * 224 * 224));
    await writeFile(single, batch.subarray(2 * 3 * 224 * 224));
    const out = join(dir, 'logits.json');
    execFileSync(PYTHON, [SCRIPT, '--model', modelPath, '--tensor', pair, '--tensor', single, '--out', out], { stdio: 'pipe' });
    const ref = JSON.parse(await readFile(out, 'utf8')) as { results: { shape: number[]; logits: number[][]; top5: number[][] }[] };
    expect(ref.results.map((r) => r.shape)).toEqual([
      [2, 3, 224, 224],
      [1, 3, 224, 224],
    ]);

    const session = await ort.InferenceSession.create(modelPath);
    try {
      const res = await session.run({ input: new ort.Tensor('float32', batch, [3, 3, 224, 224]) });
      const ours = res['logits']?.data as Float32Array;
      const theirs = ref.results.flatMap((r) => r.logits);
      let maxDiff = 0;
      theirs.forEach((row, i) => row.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - (ours[i * 1000 + k] ?? NaN))))));
      console.log(`onnxruntime vs PyTorch, seed-1 model, 3 images: max abs logit difference ${maxDiff.toExponential(2)}`);
      expect(maxDiff).toBeLessThan(1e-3);
    } finally {
      await session.release();
    }
  }, 120_000);

  it('refuses a file that is not an ONNX model', async () => {
    const bogus = join(dir, 'bogus.onnx');
    await writeFile(bogus, 'not a model');
    const r = spawnSync(PYTHON, [SCRIPT, '--model', bogus, '--tensor', bogus, '--out', join(dir, 'x.json')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^torch-parity: .*bogus\.onnx is not an ONNX model/);
  }, 60_000);
});
