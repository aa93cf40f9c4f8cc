// Folds every BatchNormalization that follows a Conv into that Conv's weights and bias, as the quantizer needs (ORT's QDQ fusions see Conv, never Conv+BN).
import { TensorDataType, type OnnxGraph, type OnnxNode } from '../onnx/onnx-proto.js';
import {
  attrFloatOf,
  attrIntOf,
  consumersOf,
  findInitializer,
  float32Tensor,
  producersOf,
  removeUnusedInitializers,
  setInitializer,
  tensorToFloat32,
} from '../onnx/onnx-graph.js';

export interface FoldReport {
  /** Names of the BatchNormalization nodes that were folded. */
  folded: string[];
}

/**
 * Fold `Conv -> BatchNormalization` pairs in place: W' = W * g / sqrt(v + eps) per output channel,
 * b' = (b - m) * g / sqrt(v + eps) + beta. Arithmetic in float64, rounded once to float32. A BN whose
 * input is not a Conv read by that BN alone is left in place (the quantizer then names it as unsupported).
 */
export function foldBatchNorms(graph: OnnxGraph): FoldReport {
  const producers = producersOf(graph);
  const consumers = consumersOf(graph);
  const folded: string[] = [];
  const dropped = new Set<OnnxNode>();
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  for (const bn of graph.node) {
    if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '') continue;
    const [x, gName, bName, mName, vName] = bn.input;
    const conv = x ? producers.get(x) : undefined;
    if (!x || !conv || conv.opType !== 'Conv' || (consumers.get(x)?.length ?? 0) !== 1 || graphOutputs.has(x) || bn.output.length !== 1) continue;
    if (attrIntOf(bn, 'training_mode', 0) !== 0) continue;
    const params = [gName, bName, mName, vName].map((n) => (n ? findInitializer(graph, n) : undefined));
    const weight = conv.input[1] ? findInitializer(graph, conv.input[1]) : undefined;
    const convBias = conv.input[2] ? findInitializer(graph, conv.input[2]) : undefined;
    if (params.some((p) => !p || p.dataType !== TensorDataType.FLOAT) || !weight || (conv.input[2] && !convBias)) continue;
    const [gamma, beta, mean, variance] = params.map((p) => tensorToFloat32(p!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = attrFloatOf(bn, 'epsilon', 1e-5);
    const w = tensorToFloat32(weight);
    const outC = Number(weight.dims[0]);
    const perChannel = w.length / outC;
    const b = convBias ? tensorToFloat32(convBias) : new Float32Array(outC);
    const newW = new Float32Array(w.length);
    const newB = new Float32Array(outC);
    for (let c = 0; c < outC; c++) {
      const k = (gamma[c] as number) / Math.sqrt((variance[c] as number) + eps);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++) newW[i] = (w[i] as number) * k;
      newB[c] = ((b[c] as number) - (mean[c] as number)) * k + (beta[c] as number);
    }
    // New names: the original weight may be shared with another node, which must keep the unfolded values.
    const wName = `${conv.name}.folded_weight`;
    const biasName = `${conv.name}.folded_bias`;
    setInitializer(graph, float32Tensor(wName, weight.dims.map(Number), newW));
    setInitializer(graph, float32Tensor(biasName, [outC], newB));
    conv.input = [conv.input[0] ?? '', wName, biasName];
    conv.output = [bn.output[0] ?? ''];
    dropped.add(bn);
    folded.push(bn.name);
  }
  graph.node = graph.node.filter((n) => !dropped.has(n));
  removeUnusedInitializers(graph);
  return { folded };
}
