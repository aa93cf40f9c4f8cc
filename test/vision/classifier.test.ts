// The worker-thread classifier: same logits as an in-process session, input buffers transferred,
// failures reported as errors, and the event loop free while a frame is classified.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { Classifier, ClassifierError } from '../../src/vision/classifier.js';

let modelBytes: Uint8Array;
let classifier: Classifier;

function seededInput(seed: number): Float32Array {
  const x = new Float32Array(3 * 224 * 224);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 4 - 2;
  }
  return x;
}

beforeAll(async () => {
  modelBytes = readFileSync(await ensureSynthModel(1, generatedModelsDir()));
  classifier = await Classifier.create({ modelBytes, inputName: 'input', outputName: 'logits', intraOpThreads: 1 });
}, 120_000);

afterAll(async () => {
  await classifier?.close();
});

describe('Classifier (worker thread)', () => {
  it('gives the same logits as an in-process onnxruntime session', async () => {
    const session = await ort.InferenceSession.create(modelBytes, { intraOpNumThreads: 1 });
    const input = seededInput(7);
    const direct = (await session.run({ input: new ort.Tensor('float32', input.slice(), [1, 3, 224, 224]) }))['logits'];
    const viaWorker = await classifier.classify(input, [1, 3, 224, 224]);
    expect(viaWorker.dims).toEqual([1, 1000]);
    expect(Array.from(viaWorker.logits)).toEqual(Array.from(direct?.data as Float32Array));
    await session.release();
  });

  it('transfers the input buffer instead of copying it', async () => {
    const input = seededInput(1);
    const pending = classifier.classify(input, [1, 3, 224, 224]);
    // A transferred ArrayBuffer is detached on the sending side.
    expect(input.buffer.byteLength).toBe(0);
    await pending;
  });

  it('keeps the event loop ticking during inference (timers keep firing)', async () => {
    // Not a timing assertion: counts that a 1 ms interval fired at all while 5 runs were in flight.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let i = 0; i < 5; i++) await classifier.classify(seededInput(i), [1, 3, 224, 224]);
    h.disable();
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('answers concurrent requests each with its own result', async () => {
    const [a, b] = await Promise.all([classifier.classify(seededInput(11), [1, 3, 224, 224]), classifier.classify(seededInput(12), [1, 3, 224, 224])]);
    const again = await classifier.classify(seededInput(11), [1, 3, 224, 224]);
    expect(Array.from(a.logits)).toEqual(Array.from(again.logits));
    expect(Array.from(a.logits)).not.toEqual(Array.from(b.logits));
  });

  it('a wrong input shape is an error for that frame, and the classifier keeps working', async () => {
    await expect(classifier.classify(new Float32Array(10), [1, 3, 2, 2])).rejects.toBeInstanceOf(ClassifierError);
    const ok = await classifier.classify(seededInput(3), [1, 3, 224, 224]);
    expect(ok.logits).toHaveLength(1000);
  });

  it('bytes that are not a model fail at create with a clear error', async () => {
    await expect(
      Classifier.create({ modelBytes: new TextEncoder().encode('not a model'), inputName: 'input', outputName: 'logits', intraOpThreads: 1 }),
    ).rejects.toThrow(/^onnxruntime could not load the model: /);
  });
});
