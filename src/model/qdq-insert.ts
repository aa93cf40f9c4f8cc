// Places QuantizeLinear/DequantizeLinear pairs in a BN-folded float graph the way onnxruntime's QDQ fusions want them (QLinearConv, QLinearAdd, QGemm, QLinearGlobalAveragePool, int8 MaxPool).
import { AttributeType, TensorDataType, type OnnxGraph, type OnnxModel, type OnnxNode } from '../onnx/onnx-proto.js';
import {
  attrIntOf,
  consumersOf,
  findInitializer,
  float32Tensor,
  int32Tensor,
  int8Tensor,
  producersOf,
  uint8Tensor,
  removeUnusedInitializers,
  sortTopologically,
  tensorToFloat32,
} from '../onnx/onnx-graph.js';
import { quantizeBias, quantizeWeightsPerChannel, type QParams } from './quant-params.js';

/** Ops the quantizer knows. BatchNormalization only before folding; anything else is refused by name. */
export const QUANTIZER_SUPPORTED_OPS: readonly string[] = ['Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Add', 'GlobalAveragePool', 'Flatten', 'Gemm'];

export type LayerPrecision = 'fp32' | 'int8';

export interface QdqOptions {
  /** The Conv that reads the graph input. */
  firstConv: LayerPrecision;
  /** The Gemm that writes a graph output. */
  lastFc: LayerPrecision;
}

/** A model the quantizer cannot handle; the message names the ops, nodes or shapes and what to do. */
export class QuantizeError extends Error {
  override readonly name = 'QuantizeError';
}

export interface QdqPlan {
  /** Nodes that run in int8 after onnxruntime's fusions (their float inputs are read through DequantizeLinear). */
  int8Nodes: Set<OnnxNode>;
  /** Activation tensors that get a QuantizeLinear, in graph order. */
  quantized: string[];
  /** Quantized tensors whose parameters are their input's (MaxPool, Flatten: same values, so ORT drops the pair). */
  sharesParamsWith: Map<string, string>;
  /** Tensors calibration must measure (quantized ones with their own parameters). */
  calibrate: string[];
  /** Relu nodes folded into the preceding int8 Conv/Add by the QuantizeLinear's clamp at zero point -128. */
  fusedRelus: Set<OnnxNode>;
}

const READS_INT8 = new Set(['Conv', 'Gemm', 'Add', 'MaxPool', 'GlobalAveragePool']);
const SHARES_PARAMS = new Set(['MaxPool', 'Flatten']);

/** Refuse ops and shapes outside the quantizer's reach before any work is done. */
export function checkQuantizable(model: OnnxModel): void {
  const g = model.graph;
  const unknown = new Map<string, string[]>();
  for (const n of g.node) {
    const op = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    if (!QUANTIZER_SUPPORTED_OPS.includes(op)) unknown.set(op, [...(unknown.get(op) ?? []), n.name || '(unnamed)']);
  }
  if (unknown.size > 0) {
    const list = [...unknown].map(([op, nodes]) => `${op} (${nodes.length} node${nodes.length > 1 ? 's' : ''}, e.g. "${nodes[0]}")`).join(', ');
    throw new QuantizeError(
      `the quantizer does not know these ops: ${list}; it handles ${QUANTIZER_SUPPORTED_OPS.join(', ')} (ResNet-style classifiers). Export the model without them, or quantize it with onnxruntime's Python tools`,
    );
  }
  const quantOps = g.node.filter((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
  if (quantOps.length > 0)
    throw new QuantizeError('the model is already quantized (it has QuantizeLinear/DequantizeLinear nodes); quantize the FP32 model instead');
  const inits = new Set(g.initializer.map((t) => t.name));
  for (const n of g.node) {
    if (n.opType === 'Conv') {
      const w = n.input[1] ? findInitializer(g, n.input[1]) : undefined;
      if (!w || w.dims.length !== 4 || w.dataType !== TensorDataType.FLOAT) {
        throw new QuantizeError(
          `Conv "${n.name}": its weight "${n.input[1] ?? ''}" must be a float32 4-D initializer (2-D convolutions with constant weights); found ${w ? `dims [${w.dims.join(', ')}] type ${w.dataType}` : 'a computed tensor'}`,
        );
      }
    }
    if (n.opType === 'Gemm') {
      const b = n.input[1] ? findInitializer(g, n.input[1]) : undefined;
      const c = n.input[2] ? findInitializer(g, n.input[2]) : undefined;
      if (!b || b.dims.length !== 2 || attrIntOf(n, 'transA', 0) !== 0) {
        throw new QuantizeError(
          `Gemm "${n.name}": needs transA=0 and a constant 2-D weight "${n.input[1] ?? ''}"; re-export the classifier head as a plain Linear layer`,
        );
      }
      if (n.input[2] && (!c || c.dims.length !== 1)) {
        throw new QuantizeError(
          `Gemm "${n.name}": its bias "${n.input[2]}" must be a constant 1-D tensor, found ${c ? `dims [${c.dims.join(', ')}]` : 'a computed tensor'}`,
        );
      }
    }
    if (n.opType === 'Add' && n.input.some((i) => inits.has(i))) {
      throw new QuantizeError(`Add "${n.name}" adds a constant; the quantizer handles residual Adds of two activations only`);
    }
  }
}

function isGraphOutput(g: OnnxGraph, name: string): boolean {
  return g.output.some((o) => o.name === name);
}

/** Decide which nodes run in int8 and which tensors get QuantizeLinear (see QdqPlan). The graph must be BN-folded. */
export function planQdq(graph: OnnxGraph, options: QdqOptions): QdqPlan {
  const leftBn = graph.node.find((n) => n.opType === 'BatchNormalization');
  if (leftBn)
    throw new QuantizeError(
      `BatchNormalization "${leftBn.name}" does not follow a Conv it alone reads, so it cannot be folded; the quantizer needs every BN right after a Conv`,
    );
  const consumers = consumersOf(graph);
  const producers = producersOf(graph);
  const inputNames = new Set(graph.input.map((i) => i.name));
  const convs = graph.node.filter((n) => n.opType === 'Conv');
  const gemms = graph.node.filter((n) => n.opType === 'Gemm');
  const firstConv = convs.find((n) => inputNames.has(n.input[0] ?? ''));
  const lastFc = gemms.find((n) => isGraphOutput(graph, n.output[0] ?? ''));
  const int8Nodes = new Set<OnnxNode>();
  for (const n of graph.node) {
    if (n === firstConv && options.firstConv === 'fp32') continue;
    if (n === lastFc && options.lastFc === 'fp32') continue;
    if (READS_INT8.has(n.opType)) int8Nodes.add(n);
  }
  const fusedRelus = new Set<OnnxNode>();
  const quantized: string[] = [];
  const isQuantized = new Set<string>();
  const sharesParamsWith = new Map<string, string>();
  const consider = (t: string, producer: OnnxNode | undefined): void => {
    if (isQuantized.has(t)) return;
    const readers = consumers.get(t) ?? [];
    let yes = readers.some((r) => int8Nodes.has(r));
    if (producer && int8Nodes.has(producer) && producer.opType !== 'Gemm') {
      const [only] = readers;
      const fuse = (producer.opType === 'Conv' || producer.opType === 'Add') && readers.length === 1 && only?.opType === 'Relu' && !isGraphOutput(graph, t);
      if (fuse && only) fusedRelus.add(only);
      else yes = true;
    }
    if (producer && fusedRelus.has(producer)) yes = true;
    if (producer && SHARES_PARAMS.has(producer.opType)) {
      const src = producer.input[0] ?? '';
      // Flatten stays on int8 only when an int8 node reads it; a float reader takes the DQ before it.
      if (producer.opType === 'Flatten') yes = isQuantized.has(src) && readers.some((r) => int8Nodes.has(r));
      if (yes && isQuantized.has(src)) sharesParamsWith.set(t, sharesParamsWith.get(src) ?? src);
    }
    if (yes) {
      isQuantized.add(t);
      quantized.push(t);
    }
  };
  for (const i of graph.input) consider(i.name, undefined);
  for (const n of graph.node) for (const o of n.output) if (o) consider(o, producers.get(o));
  return { int8Nodes, quantized, sharesParamsWith, calibrate: quantized.filter((t) => !sharesParamsWith.has(t)), fusedRelus };
}

function scalarParams(g: OnnxGraph, base: string, p: QParams): { scale: string; zp: string } {
  const scale = `${base}_scale`;
  const zp = `${base}_zero_point`;
  g.initializer.push(float32Tensor(scale, [], Float32Array.of(p.scale)));
  // The zero point's type is the activation type: int8 (S8S8) or uint8 (U8S8).
  g.initializer.push(p.type === 'uint8' ? uint8Tensor(zp, [], Uint8Array.of(p.zeroPoint)) : int8Tensor(zp, [], Int8Array.of(p.zeroPoint)));
  return { scale, zp };
}

function qdqNode(opType: 'QuantizeLinear' | 'DequantizeLinear', name: string, inputs: string[], output: string, axis?: number): OnnxNode {
  return {
    name,
    opType,
    input: inputs,
    output: [output],
    attribute: axis === undefined ? [] : [{ name: 'axis', type: AttributeType.INT, i: axis }],
  };
}

/**
 * Rewrite the BN-folded graph in place into QDQ form: a QuantizeLinear after every planned tensor,
 * one DequantizeLinear per reader (ORT's selectors want a DQ that feeds one node), int8 per-channel
 * weights and int32 biases behind DequantizeLinear for every int8 Conv and Gemm. `params` holds
 * the parameters of every tensor in `plan.calibrate`.
 */
export function applyQdq(model: OnnxModel, plan: QdqPlan, params: ReadonlyMap<string, QParams>): void {
  const g = model.graph;
  const paramsOf = (t: string): QParams => {
    const p = params.get(plan.sharesParamsWith.get(t) ?? t);
    if (!p) throw new Error(`quantizer: no calibration parameters for tensor "${t}"`);
    return p;
  };
  const consumers = consumersOf(g);
  const added: OnnxNode[] = [];
  const dqSource = new Map<string, string>();
  for (const t of plan.quantized) {
    const p = paramsOf(t);
    const { scale, zp } = scalarParams(g, t, p);
    const q = `${t}_quantized`;
    added.push(qdqNode('QuantizeLinear', `${t}_QuantizeLinear`, [t, scale, zp], q));
    (consumers.get(t) ?? []).forEach((reader, k) => {
      const dq = `${t}_dequantized_${k}`;
      added.push(qdqNode('DequantizeLinear', `${t}_DequantizeLinear_${k}`, [q, scale, zp], dq));
      reader.input = reader.input.map((i) => (i === t ? dq : i));
      dqSource.set(dq, t);
    });
  }
  for (const n of plan.int8Nodes) {
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const src = dqSource.get(n.input[0] ?? '');
    if (!src) throw new Error(`quantizer: the input of int8 node "${n.name}" is not quantized`);
    const inputScale = paramsOf(src).scale;
    const wName = n.input[1] ?? '';
    const w = findInitializer(g, wName);
    if (!w) throw new Error(`quantizer: weight "${wName}" of "${n.name}" vanished`);
    const dims = w.dims.map(Number);
    const axis: 0 | 1 = n.opType === 'Gemm' && attrIntOf(n, 'transB', 0) === 0 ? 1 : 0;
    const qw = quantizeWeightsPerChannel(tensorToFloat32(w), dims, axis);
    const base = `${n.name}.weight`;
    g.initializer.push(int8Tensor(`${base}_quantized`, dims, qw.data));
    g.initializer.push(float32Tensor(`${base}_scale`, [qw.scales.length], qw.scales));
    g.initializer.push(int8Tensor(`${base}_zero_point`, [qw.scales.length], new Int8Array(qw.scales.length)));
    added.push(
      qdqNode('DequantizeLinear', `${base}_DequantizeLinear`, [`${base}_quantized`, `${base}_scale`, `${base}_zero_point`], `${base}_dequantized`, axis),
    );
    const newInputs = [n.input[0] ?? '', `${base}_dequantized`];
    const bName = n.input[2];
    if (bName) {
      const b = findInitializer(g, bName);
      if (!b) throw new Error(`quantizer: bias "${bName}" of "${n.name}" vanished`);
      const qb = quantizeBias(tensorToFloat32(b), inputScale, qw.scales);
      const bb = `${n.name}.bias`;
      g.initializer.push(int32Tensor(`${bb}_quantized`, [qb.data.length], qb.data));
      g.initializer.push(float32Tensor(`${bb}_scale`, [qb.scales.length], qb.scales));
      g.initializer.push(int32Tensor(`${bb}_zero_point`, [qb.scales.length], new Int32Array(qb.scales.length)));
      added.push(qdqNode('DequantizeLinear', `${bb}_DequantizeLinear`, [`${bb}_quantized`, `${bb}_scale`, `${bb}_zero_point`], `${bb}_dequantized`, 0));
      newInputs.push(`${bb}_dequantized`);
    }
    n.input = newInputs;
  }
  g.node.push(...added);
  sortTopologically(g);
  removeUnusedInitializers(g);
  // Per-channel DequantizeLinear (axis) needs opset 13; the supported ops mean the same from 10 to 17.
  for (const o of model.opsetImport) if ((o.domain ?? '') === '' && Number(o.version) < 13) o.version = 13;
}
