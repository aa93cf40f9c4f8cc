// The seeded ResNet-18: torchvision's architecture and parameter count, onnxruntime runs it, byte-identical per seed, realistic activations, card and cache.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ModelCardSchema } from '../../src/vision/model-card.js';
import { decodeModel } from '../../src/onnx/onnx-proto.js';
import { countParameters, summarizeGraph, tensorToFloat32 } from '../../src/onnx/onnx-graph.js';
import { RESNET18_PARAMETER_COUNT, RESNET18_PARAMS } from '../../src/model/resnet18-builder.js';
import { ensureSynthModel, synthModelFileName, synthesizeResnet18, synthesizeResnet18Bytes, type SynthesizedModel } from '../../src/model/synth-model.js';
import { sha256Hex } from '../../src/vision/model-card.js';
import { syntheticBatch } from '../../src/model/synthetic-images.js';

/**
 * sha256 of the seed-1 model. The generator is bit-reproducible across machines, so this only
 * changes with the generator; then bump SYNTH_GENERATOR_VERSION and regenerate the golden logits
 * (test/fixtures/golden/README.md).
 */
const SEED1_SHA256 = '0d264dd958d09a0645dde4880f29a04596581e31dca31c5772e12feec5a98546';

let dir: string;
let built: SynthesizedModel;
let bytes: Uint8Array;
let session: ort.InferenceSession;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-resnet18-'));
  built = await synthesizeResnet18({ seed: 1, outPath: join(dir, synthModelFileName(1)) });
  bytes = new Uint8Array(await readFile(built.modelPath));
  session = await ort.InferenceSession.create(bytes);
}, 120_000);

afterAll(async () => {
  await session?.release();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('architecture', () => {
  it('has exactly torchvision resnet18 parameter count (BN running stats excluded)', () => {
    expect(countParameters(bytes)).toBe(11_689_512);
    expect(RESNET18_PARAMETER_COUNT).toBe(11_689_512);
    const fromSpec = RESNET18_PARAMS.filter((p) => !p.role.startsWith('bn-running')).reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
    expect(fromSpec).toBe(11_689_512);
  });

  it('is torchvision resnet18 op for op, with state_dict initializer names', () => {
    const s = summarizeGraph(bytes);
    expect(s.irVersion).toBe(8);
    expect(s.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(s.opTypes).toEqual({ Conv: 20, BatchNormalization: 20, Relu: 17, MaxPool: 1, Add: 8, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(s.inputs).toEqual([{ name: 'input', elemType: 1, shape: ['N', 3, 224, 224] }]);
    expect(s.outputs).toEqual([{ name: 'logits', elemType: 1, shape: ['N', 1000] }]);
    const dims = Object.fromEntries(s.initializers.map((i) => [i.name, i.dims]));
    expect(s.initializers).toHaveLength(102);
    expect(dims['conv1.weight']).toEqual([64, 3, 7, 7]);
    expect(dims['bn1.running_mean']).toEqual([64]);
    expect(dims['layer1.0.conv1.weight']).toEqual([64, 64, 3, 3]);
    expect(dims['layer2.0.downsample.0.weight']).toEqual([128, 64, 1, 1]);
    expect(dims['layer4.1.bn2.running_var']).toEqual([512]);
    expect(dims['fc.weight']).toEqual([1000, 512]);
    expect(dims['fc.bias']).toEqual([1000]);
    expect(s.initializers.map((i) => i.name)).toEqual(RESNET18_PARAMS.map((p) => p.name));
  });

  it('keeps torchvision init where calibration does not touch it', () => {
    const model = decodeModel(bytes);
    const conv = tensorToFloat32(model.graph.initializer.find((t) => t.name === 'layer3.0.conv2.weight')!);
    let s2 = 0;
    for (const v of conv) s2 += v * v;
    // kaiming_normal_(mode='fan_out', nonlinearity='relu'): std sqrt(2 / (256*3*3)).
    expect(Math.sqrt(s2 / conv.length)).toBeCloseTo(Math.sqrt(2 / (256 * 9)), 3);
    const gamma = tensorToFloat32(model.graph.initializer.find((t) => t.name === 'layer2.1.bn2.weight')!);
    expect(new Set(gamma)).toEqual(new Set([0.5]));
    const runningVar = tensorToFloat32(model.graph.initializer.find((t) => t.name === 'layer1.0.bn1.running_var')!);
    expect(Math.min(...runningVar)).toBeGreaterThan(0);
  });
});

describe('onnxruntime', () => {
  it('runs batch 1 and batch 2, and a batch row equals the single-image run', async () => {
    const batch = syntheticBatch(9, 2, { sizePx: 224 }).data;
    const one = await session.run({ input: new ort.Tensor('float32', batch.slice(0, 3 * 224 * 224), [1, 3, 224, 224]) });
    const two = await session.run({ input: new ort.Tensor('float32', batch, [2, 3, 224, 224]) });
    expect(one['logits']?.dims).toEqual([1, 1000]);
    expect(two['logits']?.dims).toEqual([2, 1000]);
    const a = one['logits']?.data as Float32Array;
    const b = two['logits']?.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < 1000; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('produces content-dependent logits of a few units on natural-looking images', async () => {
    const n = 8;
    const batch = syntheticBatch(12345, n, { sizePx: 224 }).data;
    const out = await session.run({ input: new ort.Tensor('float32', batch, [n, 3, 224, 224]) });
    const logits = out['logits']?.data as Float32Array;
    const top1 = new Set<number>();
    for (let i = 0; i < n; i++) {
      const row = Array.from(logits.subarray(i * 1000, (i + 1) * 1000));
      const mean = row.reduce((x, y) => x + y, 0) / 1000;
      const std = Math.sqrt(row.reduce((x, y) => x + (y - mean) ** 2, 0) / 1000);
      expect(std).toBeGreaterThan(1.5);
      expect(std).toBeLessThan(15);
      top1.add(row.indexOf(Math.max(...row)));
    }
    expect(top1.size).toBeGreaterThanOrEqual(3);
  });
});

describe('determinism and card', () => {
  it('gives the pinned bytes for seed 1 and a card that describes them', async () => {
    expect(built.sha256).toBe(SEED1_SHA256);
    expect(sha256Hex(bytes)).toBe(SEED1_SHA256);
    const card = ModelCardSchema.parse(JSON.parse(await readFile(built.cardPath, 'utf8')));
    expect(built.cardPath).toBe(join(dir, 'resnet18-synth-v1-seed1.card.json'));
    expect(card).toMatchObject({
      name: 'resnet18-synth-seed1',
      architecture: 'resnet18',
      input: {
        name: 'input',
        dtype: 'float32',
        layout: 'NCHW',
        shape: [-1, 3, 224, 224],
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        resizeShorterPx: 256,
      },
      output: { name: 'logits', size: 1000 },
      labelsFile: 'imagenet-labels.txt',
      precision: 'fp32',
      sha256: SEED1_SHA256,
      parameters: 11_689_512,
    });
    expect(card.provenance).toMatch(/^synthetic seeded ResNet-18, seed 1, not trained/);
    expect(Number.isNaN(Date.parse(card.createdAt))).toBe(false);
  });

  it('gives different bytes for a different seed', () => {
    const other = synthesizeResnet18Bytes(2);
    expect(sha256Hex(other.bytes)).not.toBe(SEED1_SHA256);
    expect(other.bytes.length).toBe(bytes.length);
  });

  it('ensureSynthModel reuses a valid cached model and rebuilds a damaged one (to the same bytes)', async () => {
    const before = await stat(built.modelPath);
    expect(await ensureSynthModel(1, dir)).toBe(built.modelPath);
    expect((await stat(built.modelPath)).mtimeMs).toBe(before.mtimeMs);

    const damaged = new Uint8Array(bytes);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 0xff;
    await writeFile(built.modelPath, damaged);
    expect(await ensureSynthModel(1, dir)).toBe(built.modelPath);
    expect(sha256Hex(await readFile(built.modelPath))).toBe(SEED1_SHA256);
  });
});
