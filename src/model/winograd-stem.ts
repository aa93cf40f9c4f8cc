// Space-to-depth for a large stride-2 stem (ResNet's 7x7 on 3 channels): Pad, SpaceToDepth(2) and a 4x4 stride-1 conv on 4x the channels, which winograd-graph.ts then runs as Winograd F(m,4).
import { attrInt, attrInts, attrIntOf, attrIntsOf, findInitializer, float32Tensor, int64Tensor, tensorToFloat32 } from '../onnx/onnx-graph.js';
import type { OnnxGraph, OnnxNode } from '../onnx/onnx-proto.js';
import type { ChwShape } from './winograd-shapes.js';

// Few input channels is where it pays: the stem's im2col GEMM has K = 3·7·7 = 147, and a Winograd tile of the
// 12-channel 4x4 conv needs about a third of its multiplies; with many channels stride 2 has its own polyphase form.
const MAX_CHANNELS = 4;

export interface SpaceToDepthStem {
  /** Pad and SpaceToDepth, then `conv`. */
  nodes: OnnxNode[];
  /** The 4x4 (for a 7x7) stride-1 conv without pads on the space-to-depth input. */
  conv: OnnxNode;
  /** Its input shape. */
  s: ChwShape;
}

/**
 * y[k,i,j] = Σ W[k,c,a,b]·x_pad[c, 2i+a, 2j+b]; with a = 2a' + p, b = 2b' + q and SpaceToDepth's DCR order
 * (channel (p·2 + q)·C + c holds x_pad[c, 2h+p, 2w+q]) this is a stride-1 conv with W'[k,(p·2+q)·C+c,a',b'] = W[k,c,2a'+p,2b'+q],
 * zero where 2a'+p passes the kernel's edge. Undefined when `conv` is not such a stem.
 */
export function spaceToDepthStem(graph: OnnxGraph, conv: OnnxNode, s: ChwShape | undefined): SpaceToDepthStem | undefined {
  const weight = findInitializer(graph, conv.input[1] ?? '');
  if (!s || !weight || weight.dims.length !== 4) return undefined;
  const [k, c, kh, kw] = weight.dims.map(Number) as [number, number, number, number];
  const pads = attrIntsOf(conv, 'pads');
  const pad = pads[0] ?? 0;
  const stem =
    kh === kw &&
    kh >= 5 &&
    kh % 2 === 1 &&
    c <= MAX_CHANNELS &&
    attrIntsOf(conv, 'strides').every((x) => x === 2) &&
    attrIntsOf(conv, 'dilations').every((x) => x === 1) &&
    attrIntOf(conv, 'group', 1) === 1 &&
    pads.length === 4 &&
    pads.every((q) => q === pad) &&
    (s.h + 2 * pad) % 2 === 0 &&
    (s.w + 2 * pad) % 2 === 0;
  if (!stem) return undefined;
  const r = (kh + 1) / 2;
  const w = tensorToFloat32(weight);
  const w2 = new Float32Array(k * 4 * c * r * r);
  for (let ko = 0; ko < k; ko++)
    for (let p = 0; p < 2; p++)
      for (let q = 0; q < 2; q++)
        for (let ci = 0; ci < c; ci++)
          for (let a = 0; a < r; a++)
            for (let b = 0; b < r; b++) {
              const [ka, kb] = [2 * a + p, 2 * b + q];
              if (ka < kh && kb < kw) w2[(((ko * 4 + p * 2 + q) * c + ci) * r + a) * r + b] = w[((ko * c + ci) * kh + ka) * kw + kb] ?? 0;
            }
  const base = `${conv.name}/space-to-depth`;
  graph.initializer.push(int64Tensor(`${base}/pads`, [8], [0, 0, pad, pad, 0, 0, pad, pad]), float32Tensor(`${base}/weight`, [k, 4 * c, r, r], w2));
  const node = (opType: string, input: string[], output: string, attribute: OnnxNode['attribute'] = []): OnnxNode => ({
    name: `${output}/node`,
    opType,
    input,
    output: [output],
    attribute,
  });
  const nodes = [
    node('Pad', [conv.input[0] ?? '', `${base}/pads`], `${base}/padded`),
    node('SpaceToDepth', [`${base}/padded`], `${base}/input`, [attrInt('blocksize', 2)]),
  ];
  const conv2 = node('Conv', [`${base}/input`, `${base}/weight`, ...conv.input.slice(2)], conv.output[0] ?? '', [
    attrInts('kernel_shape', [r, r]),
    attrInts('strides', [1, 1]),
    attrInts('pads', [0, 0, 0, 0]),
  ]);
  return { nodes, conv: { ...conv2, name: base }, s: { c: 4 * c, h: (s.h + 2 * pad) / 2, w: (s.w + 2 * pad) / 2 } };
}
