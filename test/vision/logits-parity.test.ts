// Parity with PyTorch end to end: our preprocessing + onnxruntime logits against torchvision + PyTorch
// logits stored in the golden fixture (test/fixtures/golden/make-golden.py, seed-1 model).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { loadModel, type LoadedModel } from '../../src/vision/model-loader.js';
import { Classifier } from '../../src/vision/classifier.js';
import { preprocessImage } from '../../src/vision/preprocess.js';
import { preprocessOptionsFor } from '../../src/vision/image-classifier.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { silentLogger } from '../../src/platform/logger.js';

const GOLDEN = resolve(import.meta.dirname, '../fixtures/golden');

interface Fixture {
  file: string;
  logitsFile: string;
  top1Margin: number;
  top5: number[];
}
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as {
  model: { sha256: string; seed: number };
  fixtures: Fixture[];
};

let model: LoadedModel;
let classifier: Classifier;

beforeAll(async () => {
  const path = await ensureSynthModel(manifest.model.seed, generatedModelsDir());
  model = await loadModel(path, { logger: silentLogger });
  classifier = await Classifier.create({
    modelBytes: model.bytes,
    inputName: model.card.input.name,
    outputName: model.card.output.name,
    intraOpThreads: 0,
  });
}, 180_000);

afterAll(async () => {
  await classifier?.close();
});

function referenceLogits(f: Fixture): Float32Array {
  const buf = readFileSync(join(GOLDEN, f.logitsFile));
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

async function logitsFor(f: Fixture, mode: 'exact' | 'fast'): Promise<Float32Array> {
  const bytes = readFileSync(join(GOLDEN, 'images', f.file));
  const pre = await preprocessImage(bytes, preprocessOptionsFor(model, mode));
  return (await classifier.classify(pre.input, [1, 3, 224, 224])).logits;
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[best] as number)) best = i;
  return best;
}

describe('logits parity with PyTorch (seed-1 ResNet-18)', () => {
  it('the generated model is the one the golden logits were made with', () => {
    expect(model.sha256).toBe(manifest.model.sha256);
  });

  it.each(manifest.fixtures.map((f) => [f.file, f] as const))('exact mode: %s within 1e-3 of PyTorch', async (_name, f) => {
    const ours = await logitsFor(f, 'exact');
    const ref = referenceLogits(f);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs((ours[i] as number) - (ref[i] as number)));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  const clear = manifest.fixtures.filter((f) => f.top1Margin >= 0.5);
  it.each(clear.map((f) => [f.file, f] as const))('fast mode: %s keeps the reference top-1 (lead >= 0.5)', async (_name, f) => {
    const ours = await logitsFor(f, 'fast');
    expect(argmax(ours)).toBe(f.top5[0]);
  });

  it('has enough clear-margin fixtures for the fast-mode check to mean something', () => {
    expect(clear.length).toBeGreaterThanOrEqual(5);
  });
});
