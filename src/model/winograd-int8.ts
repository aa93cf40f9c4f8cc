// int8 Winograd for `fieldeye quantize --winograd`: the 3x3 stride-1 convs of a QDQ model become Winograd transforms in float around an integer product (QuantizeLinear with one scale per transformed position, one MatMulInteger per position on MLAS QGEMM, Cast and Mul back to float).
import { AttributeType, TensorDataType, type OnnxGraph, type OnnxModel, type OnnxNode } from '../onnx/onnx-proto.js';
import {
  findInitializer,
  float32Tensor,
  int64Tensor,
  int8Tensor,
  removeUnusedInitializers,
  sortTopologically,
  tensorToFloat32,
  uint8Tensor,
} from '../onnx/onnx-graph.js';
import { chooseRange, type CalibrationMethod } from './activation-histogram.js';
import { collectActivationStats, type FrameInputs } from './calibrate.js';
import { planWinograd, winogradGraph, type WinogradOptions, type WinogradProduct, type WinogradReport } from './winograd-graph.js';
import { inferChwShapes } from './winograd-shapes.js';
import type { QdqPlan } from './qdq-insert.js';
import { quantizeWeightsPerChannel } from './quant-params.js';
import type { WinogradTile } from './winograd-math.js';

export interface WinogradInt8Options {
  tile: WinogradTile;
  method: CalibrationMethod;
  percentile: number;
}

// uint8 with zero point 128 on every position: MatMulInteger takes one zero point for A, so the per-position
// scales must share it; symmetric also fits V, whose transformed values have both signs even after a Relu.
const ZERO_POINT = 128;

/** The float rewrite under the integer product: stride-1 convs only, NHWC, one batched product for integerProduct to split. */
function int8RewriteOptions(tile: WinogradTile): WinogradOptions {
  return { tile, layout: 'nhwc', inputTransform: tile === 2 ? 'adds' : 'matmul', product: 'batched' };
}

/** Take the convs the Winograd rewrite will take out of the QDQ plan, so `applyQdq` leaves their weights float for it. */
export function leaveWinogradConvsFloat(graph: OnnxGraph, plan: QdqPlan, tile: WinogradTile): number {
  const shapes = inferChwShapes(graph);
  let left = 0;
  for (const n of [...plan.int8Nodes]) {
    if (n.opType !== 'Conv' || typeof planWinograd(graph, n, shapes.get(n.input[0] ?? ''), int8RewriteOptions(tile)) === 'string') continue;
    plan.int8Nodes.delete(n);
    left++;
  }
  return left;
}

const probeName = (p: WinogradProduct, xi: number): string => `${p.v}/position${xi}`;

/** A copy of `model` whose graph also outputs every transformed position ξ of every V, for per-position calibration. */
function probeModel(model: OnnxModel, products: readonly WinogradProduct[], positions: number): OnnxModel {
  const probe = structuredClone(model);
  for (const p of products) {
    for (let xi = 0; xi < positions; xi++) {
      const idx = `${probeName(p, xi)}/index`;
      probe.graph.initializer.push(int64Tensor(idx, [], [xi]));
      probe.graph.node.push({ name: `${probeName(p, xi)}/node`, opType: 'Gather', input: [p.v, idx], output: [probeName(p, xi)], attribute: [] });
    }
  }
  return probe;
}

/** U [n², C, K] → int8 with one symmetric scale per (ξ, k) over C: each position's [C, K] matrix quantized per column, as Gemm weights are. */
function quantizeU(u: Float32Array, positions: number, c: number, k: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(u.length);
  const scales = new Float32Array(positions * k);
  for (let xi = 0; xi < positions; xi++) {
    const one = quantizeWeightsPerChannel(u.subarray(xi * c * k, (xi + 1) * c * k), [c, k], 1);
    q.set(one.data, xi * c * k);
    scales.set(one.scales, xi * k);
  }
  return { q, scales };
}

/**
 * Replace the float product V·U by Q(V) split into its n² positions, each ·int U_q[ξ] → int32 → float · s_V[ξ] s_U[ξ,k],
 * concatenated back. One MatMulInteger per position keeps U 2-D, which onnxruntime packs once at load (a 3-D U is
 * repacked on every run: a fifth of the instructions), and Cast+Mul with a per-column scale fuse into MatMulIntegerToFloat.
 */
function integerProduct(g: OnnxGraph, p: WinogradProduct, vScales: Float32Array): OnnxNode[] {
  const uT = findInitializer(g, p.u);
  if (!uT) throw new Error(`winograd int8: transformed weight ${p.u} vanished`);
  const [positions, c, k] = uT.dims.map(Number) as [number, number, number];
  const { q, scales } = quantizeU(tensorToFloat32(uT), positions, c, k);
  const base = `${p.conv}/winograd-int8`;
  const node = (opType: string, input: string[], output: string[], attribute: OnnxNode['attribute'] = []): OnnxNode => ({
    name: `${output[0] ?? ''}/node`,
    opType,
    input,
    output,
    attribute,
  });
  const axis0 = [{ name: 'axis', type: AttributeType.INT, i: 0 }];
  g.initializer.push(
    float32Tensor(`${base}/v_scale`, [positions], vScales),
    uint8Tensor(`${base}/v_zero_point`, [positions], new Uint8Array(positions).fill(ZERO_POINT)),
    uint8Tensor(`${base}/a_zero_point`, [], Uint8Array.of(ZERO_POINT)),
  );
  const parts = Array.from({ length: positions }, (_, xi) => `${base}/v_quantized_${xi}`);
  const nodes = [
    node('QuantizeLinear', [p.v, `${base}/v_scale`, `${base}/v_zero_point`], [`${base}/v_quantized`], axis0),
    node('Split', [`${base}/v_quantized`], parts, axis0),
  ];
  const outs = parts.map((part, xi) => {
    const at = `${base}/${xi}`;
    const scale = Float32Array.from({ length: k }, (_, ko) => (vScales[xi] ?? 0) * (scales[xi * k + ko] ?? 0));
    g.initializer.push(int8Tensor(`${at}/u_quantized`, [c, k], q.subarray(xi * c * k, (xi + 1) * c * k)), float32Tensor(`${at}/scale`, [k], scale));
    nodes.push(
      node('MatMulInteger', [part, `${at}/u_quantized`, `${base}/a_zero_point`], [`${at}/product_int32`]),
      node('Cast', [`${at}/product_int32`], [`${at}/product_float`], [{ name: 'to', type: AttributeType.INT, i: TensorDataType.FLOAT }]),
      node('Mul', [`${at}/product_float`, `${at}/scale`], [`${at}/product`]),
    );
    return `${at}/product`;
  });
  nodes.push(node('Concat', outs, [p.out], axis0));
  return nodes;
}

/**
 * Rewrite, in place, the convs of a QDQ model whose weights were left float (`planQdq` minus these convs) as int8
 * Winograd: float transforms (NHWC), per-position activation scales calibrated on `frames` with `options.method`.
 */
export async function winogradInt8(model: OnnxModel, inputName: string, frames: FrameInputs, options: WinogradInt8Options): Promise<WinogradReport> {
  const g = model.graph;
  const report = winogradGraph(g, int8RewriteOptions(options.tile));
  const positions = (options.tile + 2) ** 2;
  const names = report.products.flatMap((p) => Array.from({ length: positions }, (_, xi) => probeName(p, xi)));
  const stats = await collectActivationStats(probeModel(model, report.products, positions), inputName, names, frames);
  const replaced = new Map<string, OnnxNode[]>();
  for (const p of report.products) {
    const vScales = Float32Array.from({ length: positions }, (_, xi) => {
      const h = stats.histograms.get(probeName(p, xi));
      if (!h) throw new Error(`winograd int8: no calibration of ${probeName(p, xi)}`);
      const r = chooseRange(h, { method: options.method, percentile: options.percentile });
      return Math.max(Math.abs(r.min), Math.abs(r.max), 1e-8) / 127;
    });
    replaced.set(p.out, integerProduct(g, p, vScales));
  }
  g.node = g.node.flatMap((n) => replaced.get(n.output[0] ?? '') ?? [n]);
  removeUnusedInitializers(g);
  sortTopologically(g);
  return report;
}
