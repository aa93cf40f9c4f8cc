// fieldeye quantize on the seed-1 ResNet-18 with real frames: the CLI writes a loadable int8 model whose card carries the accuracy report, and onnxruntime fuses it into QLinear kernels.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { cardPathFor } from '../../src/vision/model-card.js';
import { ModelCardSchema, type ModelCard } from '../../src/vision/model-card.js';
import { TensorDataType, decodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { consumersOf, findInitializer, opTypeCounts, producersOf } from '../../src/onnx/onnx-graph.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { silentLogger } from '../../src/platform/logger.js';
import { loadModel } from '../../src/vision/model-loader.js';

const run = promisify(execFile);
const root = packageRoot();
const tiles = join(root, 'test', 'fixtures', 'field-tiles');
let dir: string;
let fp32Path: string;
let outPath: string;
let stdout: string;
let card: ModelCard;
let quantized: OnnxModel;
let optimized: OnnxModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-quantize-'));
  fp32Path = await ensureSynthModel(1, join(root, 'models', 'generated'));
  outPath = join(dir, 'resnet18-u8.onnx');
  // Once per file: 16 calibration frames keep the run short; all 36 held-out frames are compared.
  ({ stdout } = await run(process.execPath, [
    join(root, 'dist', 'src', 'cli.js'),
    'quantize',
    '--model',
    fp32Path,
    '--calibration',
    join(tiles, 'calibration'),
    '--eval',
    join(tiles, 'held-out'),
    '--frames',
    '16',
    '--out',
    outPath,
  ]));
  card = ModelCardSchema.parse(JSON.parse(await readFile(cardPathFor(outPath), 'utf8')));
  quantized = decodeModel(await readFile(outPath));
  const optimizedPath = join(dir, 'optimized.onnx');
  // logSeverityLevel 3: ORT warns that an 'all'-level optimized file is machine-specific, which is the point here.
  const session = await ort.InferenceSession.create(outPath, {
    graphOptimizationLevel: 'all',
    optimizedModelFilePath: optimizedPath,
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  await session.release();
  optimized = decodeModel(await readFile(optimizedPath));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function opCounts(m: OnnxModel): Record<string, number> {
  return opTypeCounts(m.graph);
}

describe('fieldeye quantize (CLI, seed-1 ResNet-18, real frames)', () => {
  it('prints the accuracy report and writes a card that loadModel accepts as int8', async () => {
    expect(stdout).toMatch(/logit SQNR\s+\d+\.\d+ dB/);
    expect(stdout).toMatch(/top-1 agreement, FP32 margin > 1 logit/);
    expect(card.precision).toBe('int8');
    const q = card.quantization;
    expect(q?.method).toBe('percentile');
    // The defaults: U8S8 (fused on the laptop and on the drone, and the card says so) and the 99.999th percentile.
    expect(q?.activations).toBe('uint8');
    expect(q?.fusedOn).toEqual(['x86-64', 'arm64']);
    expect(q?.percentile).toBe(99.999);
    expect(stdout).toContain('activations uint8 per tensor (U8S8: runs fused on x86-64 and arm64)');
    expect(q?.calibration.frames).toBe(16);
    expect(q?.calibration.source).toBe('calibration');
    expect(q?.accuracy.frames).toBe(36);
    expect(q?.accuracy.framesSha256).not.toBe(q?.calibration.sha256);
    // Thresholds well under what this model reaches (about 25 dB, >90 % top-1), well over a broken quantizer's.
    expect(q?.accuracy.sqnrDb).toBeGreaterThan(18);
    expect(q?.accuracy.cosine).toBeGreaterThan(0.98);
    expect(q?.accuracy.top1Agreement).toBeGreaterThan(0.75);
    expect(q?.accuracy.top5Overlap).toBeGreaterThan(0.8);
    const loaded = await loadModel(outPath, { logger: silentLogger });
    expect(loaded.card.precision).toBe('int8');
    expect(loaded.warnings).toEqual([]);
  });

  it('stores int8 per-channel symmetric weights (zero point 0) and ReLU outputs at the lowest zero point', () => {
    const g = quantized.graph;
    const weightDqs = g.node.filter((n) => n.opType === 'DequantizeLinear' && n.name.endsWith('.weight_DequantizeLinear'));
    expect(weightDqs).toHaveLength(21); // 20 Conv + 1 Gemm
    for (const dq of weightDqs) {
      const w = findInitializer(g, dq.input[0] ?? '');
      const zp = findInitializer(g, dq.input[2] ?? '');
      expect(w?.dataType).toBe(TensorDataType.INT8);
      expect(zp?.dataType).toBe(TensorDataType.INT8);
      expect([...(zp?.rawData ?? [])].every((b) => b === 0)).toBe(true);
      expect(Number(w?.dims[0])).toBe(Number(zp?.dims[0]));
    }
    const reluQs = g.node.filter((n) => n.opType === 'QuantizeLinear' && /Relu_output_0_QuantizeLinear$/.test(n.name));
    expect(reluQs.length).toBe(17);
    for (const q of reluQs) expect([...(findInitializer(g, q.input[2] ?? '')?.rawData ?? [])]).toEqual([0]);
    expect(g.node.some((n) => n.opType === 'BatchNormalization')).toBe(false);
  });

  it('fuses in onnxruntime: QLinearConv, QLinearAdd, QLinearGlobalAveragePool, QGemm, int8 MaxPool, and no DequantizeLinear feeds a float op', () => {
    const ops = opCounts(optimized);
    expect(ops['QLinearConv']).toBe(20);
    expect(ops['QLinearAdd']).toBe(8);
    expect(ops['QLinearGlobalAveragePool']).toBe(1);
    expect(ops['QGemm']).toBe(1);
    expect(ops['NhwcMaxPool'] ?? ops['MaxPool']).toBe(1);
    for (const float of ['Conv', 'FusedConv', 'Add', 'Gemm', 'Relu', 'GlobalAveragePool']) expect(ops[float] ?? 0).toBe(0);
    const consumers = consumersOf(optimized.graph);
    for (const dq of optimized.graph.node.filter((n) => n.opType === 'DequantizeLinear')) {
      for (const reader of consumers.get(dq.output[0] ?? '') ?? []) expect(['Conv', 'Gemm', 'Add', 'MatMul']).not.toContain(reader.opType);
    }
    // The MaxPool reads the QLinearConv's uint8 output directly (through layout Transposes at most).
    const producers = producersOf(optimized.graph);
    const pool = optimized.graph.node.find((n) => n.opType.endsWith('MaxPool'));
    expect(producers.get(pool?.input[0] ?? '')?.opType).not.toBe('DequantizeLinear');
  });
});
