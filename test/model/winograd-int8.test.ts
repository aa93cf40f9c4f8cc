// `fieldeye quantize --winograd 2`: the int8 model whose 3x3 stride-1 convs run as Winograd F(2,3) around MatMulInteger stays close to the FP32 model, near the direct int8 model's accuracy, on the same calibration and held-out frames.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { cardPathFor, ModelCardSchema, type ModelCard } from '../../src/vision/model-card.js';
import { decodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { opTypeCounts } from '../../src/onnx/onnx-graph.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { silentLogger } from '../../src/platform/logger.js';
import { loadModel } from '../../src/vision/model-loader.js';
import { listImageFiles, preprocessedFrames } from '../../src/model/calibration-frames.js';
import { inputImageSize } from '../../src/vision/model-card.js';

const run = promisify(execFile);
const root = packageRoot();
const tiles = join(root, 'test', 'fixtures', 'field-tiles');
let dir: string;
let fp32Path: string;
const out = { direct: '', winograd: '' };
const cards: Record<keyof typeof out, ModelCard | undefined> = { direct: undefined, winograd: undefined };

async function quantize(path: string, extra: string[]): Promise<ModelCard> {
  // 16 calibration frames keep the run short; both models see the same frames, and all 36 held-out frames are compared.
  const args = ['quantize', '--model', fp32Path, '--calibration', join(tiles, 'calibration'), '--eval', join(tiles, 'held-out'), '--frames', '16'];
  await run(process.execPath, [join(root, 'dist', 'src', 'cli.js'), ...args, '--out', path, ...extra]);
  return ModelCardSchema.parse(JSON.parse(await readFile(cardPathFor(path), 'utf8')));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-winograd-int8-'));
  fp32Path = await ensureSynthModel(1, join(root, 'models', 'generated'));
  out.direct = join(dir, 'direct.onnx');
  out.winograd = join(dir, 'winograd.onnx');
  [cards.direct, cards.winograd] = await Promise.all([quantize(out.direct, []), quantize(out.winograd, ['--winograd', '2'])]);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function opCounts(m: OnnxModel): Record<string, number> {
  return opTypeCounts(m.graph);
}

/** Logit SQNR (dB) of `candidate` against `reference` over the held-out frames, computed here, not by the quantizer. */
async function sqnrDb(reference: string, candidate: string): Promise<number> {
  const fp32 = await loadModel(reference, { logger: silentLogger });
  const { input } = fp32.card;
  const frames = await preprocessedFrames(await listImageFiles(join(tiles, 'held-out'), '--eval'), {
    mode: 'fast',
    resizeShorterPx: input.resizeShorterPx,
    cropPx: inputImageSize(input).widthPx,
    norm: { mean: input.mean, std: input.std },
  });
  const a = await ort.InferenceSession.create(fp32.bytes, { intraOpNumThreads: 1 });
  const b = await ort.InferenceSession.create(candidate, { intraOpNumThreads: 1 });
  let signal = 0;
  let noise = 0;
  try {
    for (let i = 0; i < frames.inputs.count; i++) {
      const feed = { [input.name]: new ort.Tensor('float32', await frames.inputs.load(i), frames.inputs.dims) };
      const want = (await a.run(feed))[fp32.card.output.name]?.data as Float32Array;
      const got = (await b.run(feed))[fp32.card.output.name]?.data as Float32Array;
      want.forEach((v, k) => {
        signal += v * v;
        noise += (v - (got[k] ?? NaN)) ** 2;
      });
    }
  } finally {
    await a.release();
    await b.release();
  }
  return 10 * Math.log10(signal / noise);
}

describe('fieldeye quantize --winograd 2 (seed-1 ResNet-18, real frames)', () => {
  it('rewrites the 13 3x3 stride-1 convs as 16 MatMulIntegers each and leaves the other 7 convs direct int8', async () => {
    const m = decodeModel(await readFile(out.winograd));
    const ops = opCounts(m);
    expect(ops['MatMulInteger']).toBe(13 * 16);
    expect(ops['Conv']).toBe(7);
    expect(ops['MatMul'] ?? 0).toBe(2 * 13); // the float output transforms only
    expect(cards.winograd?.precision).toBe('int8');
    expect(cards.winograd?.provenance).toMatch(/13 3x3 stride-1 convs as int8 Winograd F\(2,3\)/);
    expect([cards.winograd?.quantization?.winograd, cards.direct?.quantization?.winograd]).toEqual([{ tile: 2, convs: 13 }, undefined]);
    expect((await loadModel(out.winograd, { logger: silentLogger })).warnings).toEqual([]);
  });

  it('stays within 1.5 dB of the direct int8 model against FP32 on the 36 held-out frames, by the card and measured here', async () => {
    const [direct, winograd] = [cards.direct?.quantization?.accuracy, cards.winograd?.quantization?.accuracy];
    console.log(`int8 logit SQNR vs FP32, 36 held-out frames, 16 calibration frames: direct ${direct?.sqnrDb} dB, Winograd F(2,3) ${winograd?.sqnrDb} dB`);
    expect(winograd?.sqnrDb).toBeGreaterThan((direct?.sqnrDb ?? Infinity) - 1.5);
    expect(winograd?.top1Agreement).toBeGreaterThan(0.85);
    const measured = await sqnrDb(fp32Path, out.winograd);
    expect(Math.abs(measured - (winograd?.sqnrDb ?? NaN))).toBeLessThan(0.05);
    expect(measured).toBeGreaterThan((await sqnrDb(fp32Path, out.direct)) - 1.5);
  }, 120_000);
});
