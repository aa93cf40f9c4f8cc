// ONNX protobuf I/O and graph editing: round trips, int64 edge cases, decode errors, and edited graphs that onnxruntime still runs.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { AttributeType, OnnxDecodeError, TensorDataType, decodeModel, encodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import {
  addGraphOutput,
  countParameters,
  float32Tensor,
  int64Tensor,
  removeUnusedInitializers,
  replaceNodes,
  setInitializer,
  summarizeGraph,
  tensorToFloat32,
} from '../../src/onnx/onnx-graph.js';
import { tinyModel } from '../model/tiny-model.js';

async function run(model: OnnxModel, input: Float32Array, dims: number[]): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(encodeModel(model));
  try {
    return await session.run({ [model.graph.input[0]?.name ?? 'x']: new ort.Tensor('float32', input, dims) });
  } finally {
    await session.release();
  }
}

const input = Float32Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.cos(i) * 0.5);

describe('encodeModel / decodeModel', () => {
  it('round-trips a model byte for byte', () => {
    const bytes = encodeModel(tinyModel());
    const again = encodeModel(decodeModel(bytes));
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('keeps int64 values beyond 2^53 exact (as bigint) and small ones as numbers', () => {
    const model = tinyModel();
    const big = 9223372036854775807n;
    model.graph.node[0]?.attribute.push({ name: 'huge', type: AttributeType.INTS, ints: [big, -1, 5] });
    model.graph.initializer.push(int64Tensor('shape', [2], [big, -big - 1n]));
    model.modelVersion = 3;
    const decoded = decodeModel(encodeModel(model));
    const attr = decoded.graph.node[0]?.attribute.find((a) => a.name === 'huge');
    expect(attr?.ints).toEqual([big, -1, 5]);
    expect(decoded.modelVersion).toBe(3);
    expect(decoded.graph.initializer.find((t) => t.name === 'shape')?.dims).toEqual([2]);
    expect(encodeModel(decoded)).toEqual(encodeModel(model));
  });

  it('keeps fields outside the subset (training_info, functions) through a rewrite', () => {
    const model = tinyModel();
    model.opaqueFunctions = [new Uint8Array([0x0a, 0x01, 0x66])];
    model.metadataProps = [{ key: 'k', value: 'v' }];
    const decoded = decodeModel(encodeModel(model));
    expect(decoded.opaqueFunctions).toEqual([new Uint8Array([0x0a, 0x01, 0x66])]);
    expect(decoded.metadataProps).toEqual([{ key: 'k', value: 'v' }]);
  });

  it('reads float32 tensors from raw_data and float_data alike', () => {
    const values = Float32Array.from([1.5, -2, 3.25, 0]);
    const raw = float32Tensor('t', [2, 2], values);
    expect(
      Array.from(tensorToFloat32(decodeModel(encodeModel({ ...tinyModel(), graph: { ...tinyModel().graph, initializer: [raw] } })).graph.initializer[0]!)),
    ).toEqual(Array.from(values));
    expect(Array.from(tensorToFloat32({ name: 'f', dataType: TensorDataType.FLOAT, dims: [4], floatData: [1.5, -2, 3.25, 0] }))).toEqual(Array.from(values));
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => decodeModel(new TextEncoder().encode('hello, this is not a model'))).toThrow(OnnxDecodeError);
    expect(() => decodeModel(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toThrow(/not an ONNX protobuf/);
    expect(() => decodeModel(new Uint8Array([0x08, 0x08]))).toThrow('not an ONNX model: the protobuf has no graph (field 7)');
  });
});

describe('graph helpers', () => {
  it('summarises inputs, outputs and initializers', () => {
    const s = summarizeGraph(encodeModel(tinyModel()));
    expect(s.inputs).toEqual([{ name: 'x', elemType: TensorDataType.FLOAT, shape: ['N', 3, 8, 8] }]);
    expect(s.outputs).toEqual([{ name: 'y', elemType: TensorDataType.FLOAT, shape: ['N', 5] }]);
    expect(s.initializers.map((i) => [i.name, i.elements])).toEqual([
      ['conv.weight', 108],
      ['fc.weight', 20],
      ['fc.bias', 5],
    ]);
    expect(s.opTypes).toEqual({ Conv: 1, Relu: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(s.irVersion).toBe(8);
    expect(s.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(countParameters(tinyModel())).toBe(133);
  });

  it('exposes an intermediate tensor as an extra output', async () => {
    const model = tinyModel();
    addGraphOutput(model.graph, 'gap_out');
    const out = await run(model, input, [2, 3, 8, 8]);
    expect(out['gap_out']?.dims).toEqual([2, 4, 1, 1]);
    expect(out['y']?.dims).toEqual([2, 5]);
    expect(() => addGraphOutput(model.graph, 'nope')).toThrow('addGraphOutput: no tensor named "nope" in graph "tiny"');
  });

  it('replaces nodes and keeps the graph runnable and sorted', async () => {
    const model = tinyModel();
    const before = (await run(model, input, [2, 3, 8, 8]))['y']?.data as Float32Array;
    // Relu(x) == Max(x, 0): same numbers through a different node, inserted out of order.
    setInitializer(model.graph, float32Tensor('zero', [], Float32Array.from([0])));
    replaceNodes(model.graph, ['relu'], [{ name: 'max', opType: 'Max', input: ['conv_out', 'zero'], output: ['relu_out'], attribute: [] }]);
    expect(model.graph.node.map((n) => n.name)).toEqual(['conv', 'max', 'gap', 'flatten', 'fc']);
    const after = (await run(decodeModel(encodeModel(model)), input, [2, 3, 8, 8]))['y']?.data as Float32Array;
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(() => replaceNodes(model.graph, ['relu'], [])).toThrow('replaceNodes: no node named "relu" in graph "tiny"');
  });

  it('drops initializers nothing reads', () => {
    const model = tinyModel();
    setInitializer(model.graph, float32Tensor('orphan', [1], Float32Array.from([1])));
    expect(removeUnusedInitializers(model.graph)).toEqual(['orphan']);
    expect(model.graph.initializer.map((t) => t.name)).toEqual(['conv.weight', 'fc.weight', 'fc.bias']);
  });
});
