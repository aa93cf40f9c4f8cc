// A tiny ONNX classifier (Conv-Relu-GAP-Flatten-Gemm) built with the project's graph helpers, for fast tests.
import { TensorDataType, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { attrFloat, attrInt, attrInts, float32Tensor, tensorValueInfo } from '../../src/onnx/onnx-graph.js';

/** Input "x" float32 [N, 3, size, size], output "y" [N, classes]; weights are simple ramps. */
export function tinyModel(options: { size?: number; classes?: number; inputName?: string; outputName?: string } = {}): OnnxModel {
  const size = options.size ?? 8;
  const classes = options.classes ?? 5;
  const inputName = options.inputName ?? 'x';
  const outputName = options.outputName ?? 'y';
  const ramp = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i % 7) - 3) * scale);
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'fieldeye-test',
    graph: {
      name: 'tiny',
      node: [
        {
          name: 'conv',
          opType: 'Conv',
          input: [inputName, 'conv.weight'],
          output: ['conv_out'],
          attribute: [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), attrInts('strides', [1, 1]), attrInt('group', 1)],
        },
        { name: 'relu', opType: 'Relu', input: ['conv_out'], output: ['relu_out'], attribute: [] },
        { name: 'gap', opType: 'GlobalAveragePool', input: ['relu_out'], output: ['gap_out'], attribute: [] },
        { name: 'flatten', opType: 'Flatten', input: ['gap_out'], output: ['flat'], attribute: [attrInt('axis', 1)] },
        {
          name: 'fc',
          opType: 'Gemm',
          input: ['flat', 'fc.weight', 'fc.bias'],
          output: [outputName],
          attribute: [attrFloat('alpha', 1), attrFloat('beta', 1), attrInt('transB', 1)],
        },
      ],
      initializer: [
        float32Tensor('conv.weight', [4, 3, 3, 3], ramp(4 * 3 * 9, 0.1)),
        float32Tensor('fc.weight', [classes, 4], ramp(classes * 4, 0.5)),
        float32Tensor('fc.bias', [classes], ramp(classes, 0.01)),
      ],
      input: [tensorValueInfo(inputName, TensorDataType.FLOAT, ['N', 3, size, size])],
      output: [tensorValueInfo(outputName, TensorDataType.FLOAT, ['N', classes])],
      valueInfo: [],
    },
  };
}
