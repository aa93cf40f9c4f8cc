// quantizeModelFile in S8S8 (the ARM layout) with the first conv and last fc kept in FP32: the QDQ placement around them, and the accuracy report on frames it never calibrated on.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { TensorDataType, decodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { findInitializer, producersOf } from '../../src/onnx/onnx-graph.js';
import { quantizeModelFile, type QuantizeResult } from '../../src/model/quantize-model.js';
import { packageRoot } from '../../src/platform/package-root.js';

const root = packageRoot();
const tiles = join(root, 'test', 'fixtures', 'field-tiles');
let dir: string;
let result: QuantizeResult;
let model: OnnxModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-s8s8-'));
  const fp32 = await ensureSynthModel(1, join(root, 'models', 'generated'));
  // 16 of the calibration tiles: 8 calibrate, the other 8 of the folder becomes the held-out set (no --eval).
  const calib = join(dir, 'frames');
  await mkdir(calib);
  for (const f of (await readdir(join(tiles, 'calibration'))).filter((_, i) => i % 4 === 0)) await copyFile(join(tiles, 'calibration', f), join(calib, f));
  result = await quantizeModelFile({
    modelPath: fp32,
    calibrationDir: calib,
    frames: 8,
    method: 'minmax',
    percentile: 99.99,
    outPath: join(dir, 'q.onnx'),
    firstConv: 'fp32',
    lastFc: 'fp32',
    activations: 'int8',
    preprocess: 'fast',
  });
  model = decodeModel(await readFile(result.outPath));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('quantizeModelFile, S8S8, first conv and last fc in FP32', () => {
  it('keeps the first Conv and the Gemm on float inputs and float weights', () => {
    const g = model.graph;
    const conv1 = g.node.find((n) => n.name === '/conv1/Conv');
    const fc = g.node.find((n) => n.opType === 'Gemm');
    expect(conv1?.input[0]).toBe('input');
    expect(findInitializer(g, conv1?.input[1] ?? '')?.dataType).toBe(TensorDataType.FLOAT);
    expect(findInitializer(g, fc?.input[1] ?? '')?.dataType).toBe(TensorDataType.FLOAT);
    // The fc reads the int8 pooled features through a DequantizeLinear (QLinearGlobalAveragePool stays fused).
    const producers = producersOf(g);
    const flat = producers.get(fc?.input[0] ?? '');
    expect(flat?.opType).toBe('Flatten');
    expect(producers.get(flat?.input[0] ?? '')?.opType).toBe('DequantizeLinear');
  });

  it('puts every other Conv and every Add behind DequantizeLinear, with int8 zero points', () => {
    const g = model.graph;
    const producers = producersOf(g);
    const int8Convs = g.node.filter((n) => n.opType === 'Conv' && n.name !== '/conv1/Conv');
    expect(int8Convs).toHaveLength(19);
    for (const n of [...int8Convs, ...g.node.filter((x) => x.opType === 'Add')]) {
      for (const i of n.input) expect(producers.get(i)?.opType, `${n.name} input ${i}`).toBe('DequantizeLinear');
    }
    for (const q of g.node.filter((n) => n.opType === 'QuantizeLinear')) expect(findInitializer(g, q.input[2] ?? '')?.dataType).toBe(TensorDataType.INT8);
  });

  it('reports accuracy on the 8 frames not used for calibration, and records the split in the card', () => {
    expect(result.card.quantization?.calibration.frames).toBe(8);
    expect(result.accuracy.frames).toBe(8);
    expect(result.card.quantization?.firstConv).toBe('fp32');
    expect(result.card.quantization?.activations).toBe('int8');
    expect(result.accuracy.sqnrDb).toBeGreaterThan(15);
  });
});
