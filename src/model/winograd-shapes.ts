// Static [C, H, W] of the 4-D float tensors of a CNN graph, propagated from its input: the Winograd rewrite needs each 3x3 conv's spatial size to lay out its tiles.
import { attrIntOf, attrIntsOf, findInitializer, valueInfoToTensorInfo } from '../onnx/onnx-graph.js';
import type { OnnxGraph, OnnxNode } from '../onnx/onnx-proto.js';

export interface ChwShape {
  c: number;
  h: number;
  w: number;
}

// Ops whose output has their first input's shape: enough for ResNet-style graphs (BN, activations, residual adds; the Q/DQ pairs of a QDQ model).
const SAME_SHAPE = new Set([
  'BatchNormalization',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'Add',
  'Mul',
  'Sub',
  'Identity',
  'QuantizeLinear',
  'DequantizeLinear',
]);

function windowOut(size: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation: number, ceil: boolean): number {
  const span = size + padBegin + padEnd - dilation * (kernel - 1) - 1;
  return (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
}

function spatialOut(node: OnnxNode, x: ChwShape, kernel: [number, number]): { h: number; w: number } | undefined {
  // SAME_UPPER/VALID pads are implicit: rare in exported CNNs, so such nodes are just left unknown.
  const autoPad = node.attribute.find((a) => a.name === 'auto_pad');
  if (autoPad && !['', 'NOTSET'].includes(new TextDecoder().decode(autoPad.s ?? new Uint8Array()))) return undefined;
  const pads = attrIntsOf(node, 'pads');
  const strides = attrIntsOf(node, 'strides');
  const dil = attrIntsOf(node, 'dilations');
  const ceil = attrIntOf(node, 'ceil_mode', 0) === 1;
  return {
    h: windowOut(x.h, kernel[0], strides[0] ?? 1, pads[0] ?? 0, pads[2] ?? 0, dil[0] ?? 1, ceil),
    w: windowOut(x.w, kernel[1], strides[1] ?? 1, pads[1] ?? 0, pads[3] ?? 0, dil[1] ?? 1, ceil),
  };
}

function nodeOutShape(graph: OnnxGraph, node: OnnxNode, x: ChwShape, dequantized: ReadonlyMap<string, string>): ChwShape | undefined {
  if ((node.domain ?? '') !== '') return undefined;
  if (SAME_SHAPE.has(node.opType)) return x;
  if (node.opType === 'Conv') {
    // A QDQ model's weight is the output of a DequantizeLinear of an int8 initializer of the same shape.
    const w = node.input[1] ?? '';
    const weight = findInitializer(graph, dequantized.get(w) ?? w);
    if (!weight || weight.dims.length !== 4) return undefined;
    const hw = spatialOut(node, x, [Number(weight.dims[2]), Number(weight.dims[3])]);
    return hw && { c: Number(weight.dims[0]), ...hw };
  }
  if (node.opType === 'MaxPool' || node.opType === 'AveragePool') {
    const k = attrIntsOf(node, 'kernel_shape');
    const hw = spatialOut(node, x, [k[0] ?? 1, k[1] ?? 1]);
    return hw && { c: x.c, ...hw };
  }
  return undefined;
}

/** Tensor name → [C, H, W] for every tensor reachable from 4-D graph inputs through the ops above (the graph must be sorted). */
export function inferChwShapes(graph: OnnxGraph): Map<string, ChwShape> {
  const shapes = new Map<string, ChwShape>();
  for (const v of graph.input) {
    const s = valueInfoToTensorInfo(v).shape;
    if (s?.length === 4 && [s[1], s[2], s[3]].every((d) => typeof d === 'number'))
      shapes.set(v.name, { c: s[1] as number, h: s[2] as number, w: s[3] as number });
  }
  const dequantized = new Map(graph.node.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.output[0] ?? '', n.input[0] ?? '']));
  for (const node of graph.node) {
    const x = shapes.get(node.input[0] ?? '');
    const out = x && nodeOutShape(graph, node, x, dequantized);
    if (out && node.output[0]) shapes.set(node.output[0], out);
  }
  return shapes;
}
