// train-head's graph work on a tiny Conv-GAP-Flatten-Gemm model: finding the head, swapping in a new N-class Gemm that onnxruntime runs, and refusing graphs without a recognisable head.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { HeadLocationError, locateHead } from '../../src/model/head-features.js';
import { HEAD_BIAS_NAME, HEAD_WEIGHT_NAME, replaceHead } from '../../src/model/head-graph.js';
import { checkQuantizable } from '../../src/model/qdq-insert.js';
import { addGraphOutput, attrInt, float32Tensor, summarizeGraph } from '../../src/onnx/onnx-graph.js';
import { encodeModel, TensorDataType, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';
import { tinyModel } from './tiny-model.js';

async function run(model: OnnxModel, input: Float32Array, outputs: string[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ x: new ort.Tensor('float32', input, [1, 3, 8, 8]) }, outputs);
    return Object.fromEntries(outputs.map((o) => [o, out[o]?.data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe('train-head graph surgery', () => {
  it('finds the Gemm on pooled features of a Conv-GAP-Flatten-Gemm classifier', () => {
    const head = locateHead(tinyModel({ classes: 5 }), 'y', 'tiny.onnx');
    expect(head).toMatchObject({ featureTensor: 'flat', features: 4, classes: 5, outputName: 'y' });
    expect(head.gemm.name).toBe('fc');
  });

  it('replaces the head with a 3-class Gemm whose logits onnxruntime computes as W·features + b', async () => {
    const model = tinyModel({ classes: 5 });
    const head = locateHead(model, 'y', 'tiny.onnx');
    const rng = new SeededRandom(3, 'head-graph-test');
    const classifier = {
      classes: 3,
      features: 4,
      weights: Float64Array.from({ length: 12 }, () => rng.normal()),
      bias: Float64Array.from({ length: 3 }, () => rng.normal()),
    };
    const replaced = replaceHead(model, head, classifier, 'a new head');

    const names = replaced.graph.initializer.map((t) => t.name);
    expect(names).toContain(HEAD_WEIGHT_NAME);
    expect(names).toContain(HEAD_BIAS_NAME);
    expect(names).not.toContain('fc.weight');
    expect(summarizeGraph(replaced).outputs).toEqual([{ name: 'y', elemType: TensorDataType.FLOAT, shape: ['N', 3] }]);
    expect(replaced.docString).toBe('a new head');
    // The input model is left as it was.
    expect(model.graph.initializer.map((t) => t.name)).toContain('fc.weight');
    expect(() => checkQuantizable(replaced)).not.toThrow();

    const input = Float32Array.from({ length: 3 * 8 * 8 }, () => rng.normal());
    const probe = structuredClone(model);
    addGraphOutput(probe.graph, 'flat');
    const { flat } = await run(probe, input, ['flat']);
    const { y } = await run(replaced, input, ['y']);
    expect(y).toHaveLength(3);
    for (let c = 0; c < 3; c++) {
      let expected = classifier.bias[c]!;
      for (let j = 0; j < 4; j++) expected += classifier.weights[c * 4 + j]! * flat![j]!;
      expect(y![c]).toBeCloseTo(expected, 4);
    }
  });

  it('refuses an output written by MatMul + Add instead of a Gemm, naming the node and what to do', () => {
    const model = tinyModel({ classes: 5 });
    const g = model.graph;
    g.node = g.node.filter((n) => n.name !== 'fc');
    g.node.push(
      { name: 'mm', opType: 'MatMul', input: ['flat', 'fc.wt'], output: ['mm_out'], attribute: [] },
      { name: 'add', opType: 'Add', input: ['mm_out', 'fc.bias'], output: ['y'], attribute: [] },
    );
    g.initializer.push(float32Tensor('fc.wt', [4, 5], new Float32Array(20)));
    expect(() => locateHead(model, 'y', 'm.onnx')).toThrow(HeadLocationError);
    expect(() => locateHead(model, 'y', 'm.onnx')).toThrow(
      /--backbone m\.onnx: its output "y" comes from Add "add", not from a Gemm; train-head needs a classifier whose last layer is a fully connected Gemm on globally pooled features/,
    );
  });

  it('refuses a Gemm that reads unpooled activations', () => {
    const model = tinyModel({ classes: 5 });
    const g = model.graph;
    g.node = g.node.filter((n) => n.name !== 'gap' && n.name !== 'flatten');
    g.node.splice(2, 0, { name: 'flatten', opType: 'Flatten', input: ['relu_out'], output: ['flat'], attribute: [attrInt('axis', 1)] });
    expect(() => locateHead(model, 'y', 'm.onnx')).toThrow(
      /the final Gemm "fc" reads "flat", made by Flatten "flatten" after Relu "relu", not by a Flatten of a global pooling/,
    );
  });
});
