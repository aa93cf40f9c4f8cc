// Helpers over decoded ONNX graphs: build tensors and attributes, summarise I/O, edit nodes, count parameters.
import {
  AttributeType,
  TensorDataType,
  decodeModel,
  type Int64,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.js';

// Tensor bytes are little-endian on the wire; Float32Array uses host order, so check once.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A float32 initializer with little-endian raw_data (the layout every ONNX tool reads fastest). */
export function float32Tensor(name: string, dims: readonly number[], data: Float32Array): OnnxTensor {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new Error(`tensor ${name}: dims [${dims.join(', ')}] need ${expected} values, received ${data.length}`);
  }
  const raw = new Uint8Array(data.length * 4);
  if (HOST_IS_LITTLE_ENDIAN) {
    raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] ?? 0, true);
  }
  return { name, dataType: TensorDataType.FLOAT, dims: [...dims], rawData: raw };
}

/** An int64 initializer (shapes, axes) with little-endian raw_data. */
export function int64Tensor(name: string, dims: readonly number[], values: readonly Int64[]): OnnxTensor {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dataType: TensorDataType.INT64, dims: [...dims], rawData: raw };
}

/** Number of elements a tensor's dims describe (1 for a scalar). */
export function tensorElementCount(t: Pick<OnnxTensor, 'dims'>): number {
  return t.dims.reduce<number>((a, b) => a * Number(b), 1);
}

/** A float32 tensor's values as a fresh Float32Array, whichever of raw_data or float_data holds them. */
export function tensorToFloat32(t: OnnxTensor): Float32Array {
  if (t.dataType !== TensorDataType.FLOAT) {
    throw new Error(`tensor ${t.name}: expected data_type FLOAT (1), found ${t.dataType}; convert it before reading as float32`);
  }
  if (t.dataLocation === 1) {
    throw new Error(`tensor ${t.name}: data is in an external file, which this reader does not load; re-save the model with all tensors inside`);
  }
  const n = tensorElementCount(t);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4) {
      throw new Error(`tensor ${t.name}: raw_data has ${t.rawData.length} bytes, dims need ${n * 4}`);
    }
    const out = new Float32Array(n);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const values = t.floatData ?? [];
  if (values.length !== n) throw new Error(`tensor ${t.name}: float_data has ${values.length} values, dims need ${n}`);
  return Float32Array.from(values);
}

export function attrInt(name: string, i: number): OnnxAttribute {
  return { name, type: AttributeType.INT, i };
}

export function attrInts(name: string, ints: readonly number[]): OnnxAttribute {
  return { name, type: AttributeType.INTS, ints: [...ints] };
}

export function attrFloat(name: string, f: number): OnnxAttribute {
  return { name, type: AttributeType.FLOAT, f };
}

export function attrString(name: string, s: string): OnnxAttribute {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(s) };
}

/** A tensor value-info; a string dim is symbolic (e.g. 'N' for a dynamic batch). */
export function tensorValueInfo(name: string, elemType: number, dims: readonly (number | string)[]): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** A dimension as seen from outside: a number when fixed, the symbol when symbolic, null when unknown. */
export type DimInfo = number | string | null;

export interface TensorInfo {
  name: string;
  elemType: number;
  /** null when the graph does not declare the rank. */
  shape: DimInfo[] | null;
}

export interface InitializerInfo {
  name: string;
  dataType: number;
  dims: number[];
  elements: number;
}

export interface GraphSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  /** Real inputs: graph inputs that are not also initializers (older exporters list weights as inputs). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  initializers: InitializerInfo[];
  nodeCount: number;
  opTypes: Record<string, number>;
}

export function valueInfoToTensorInfo(v: OnnxValueInfo): TensorInfo {
  const tt = v.type?.tensorType;
  const shape = tt?.shape
    ? tt.shape.dim.map((d): DimInfo => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam !== undefined && d.dimParam !== '' ? d.dimParam : null))
    : null;
  return { name: v.name, elemType: tt?.elemType ?? TensorDataType.UNDEFINED, shape };
}

/** Inputs, outputs, initializers and op histogram of a model (decoded, or raw bytes). */
export function summarizeGraph(model: OnnxModel | Uint8Array): GraphSummary {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const g = m.graph;
  const initNames = new Set(g.initializer.map((t) => t.name));
  const opTypes: Record<string, number> = {};
  for (const n of g.node) {
    const key = n.domain ? `${n.domain}.${n.opType}` : n.opType;
    opTypes[key] = (opTypes[key] ?? 0) + 1;
  }
  return {
    irVersion: Number(m.irVersion),
    opsets: m.opsetImport.map((o) => ({ domain: o.domain, version: Number(o.version) })),
    inputs: g.input.filter((v) => !initNames.has(v.name)).map(valueInfoToTensorInfo),
    outputs: g.output.map(valueInfoToTensorInfo),
    initializers: g.initializer.map((t) => ({
      name: t.name,
      dataType: t.dataType,
      dims: t.dims.map(Number),
      elements: tensorElementCount(t),
    })),
    nodeCount: g.node.length,
    opTypes,
  };
}

/**
 * Trainable parameter count as PyTorch reports it (`sum(p.numel() for p in model.parameters())`):
 * every initializer element except BatchNormalization's running mean and variance (inputs 3 and 4),
 * which are buffers in PyTorch, not parameters.
 */
export function countParameters(model: OnnxModel | Uint8Array): number {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const buffers = new Set<string>();
  for (const n of m.graph.node) {
    if (n.opType === 'BatchNormalization' && (n.domain ?? '') === '') {
      for (const idx of [3, 4]) {
        const name = n.input[idx];
        if (name) buffers.add(name);
      }
    }
  }
  let total = 0;
  for (const t of m.graph.initializer) if (!buffers.has(t.name)) total += tensorElementCount(t);
  return total;
}

// ---------------------------------------------------------------------------------------------
// Editing, for the quantizer, head fitting and debugging outputs.

export function findNode(graph: OnnxGraph, name: string): OnnxNode | undefined {
  return graph.node.find((n) => n.name === name);
}

export function findInitializer(graph: OnnxGraph, name: string): OnnxTensor | undefined {
  return graph.initializer.find((t) => t.name === name);
}

/** Add an initializer, or replace the one of the same name in place (keeps file order stable). */
export function setInitializer(graph: OnnxGraph, tensor: OnnxTensor): void {
  const idx = graph.initializer.findIndex((t) => t.name === tensor.name);
  if (idx >= 0) graph.initializer[idx] = tensor;
  else graph.initializer.push(tensor);
}

/** op type -> how many nodes of the graph have it. */
export function opTypeCounts(graph: OnnxGraph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graph.node) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

/** Map from tensor name to the nodes that read it. */
export function consumersOf(graph: OnnxGraph): Map<string, OnnxNode[]> {
  const map = new Map<string, OnnxNode[]>();
  for (const n of graph.node) {
    for (const i of n.input) {
      if (i === '') continue;
      const list = map.get(i);
      if (list) list.push(n);
      else map.set(i, [n]);
    }
  }
  return map;
}

/** Map from tensor name to the node that writes it. */
export function producersOf(graph: OnnxGraph): Map<string, OnnxNode> {
  const map = new Map<string, OnnxNode>();
  for (const n of graph.node) for (const o of n.output) if (o !== '') map.set(o, n);
  return map;
}

/**
 * Replace the named nodes by `replacement`, inserted where the first of them stood, then re-sort
 * the graph topologically (a replacement may read tensors produced later in the old order).
 */
export function replaceNodes(graph: OnnxGraph, names: readonly string[], replacement: readonly OnnxNode[]): void {
  const drop = new Set(names);
  for (const name of names) {
    if (!findNode(graph, name)) throw new Error(`replaceNodes: no node named "${name}" in graph "${graph.name}"; list names with summarizeGraph or graph.node`);
  }
  const firstIdx = graph.node.findIndex((n) => drop.has(n.name));
  const kept = graph.node.filter((n) => !drop.has(n.name));
  const before = graph.node.slice(0, firstIdx).filter((n) => !drop.has(n.name)).length;
  graph.node = [...kept.slice(0, before), ...replacement, ...kept.slice(before)];
  sortTopologically(graph);
}

/** Expose an intermediate tensor as an extra graph output (calibration, feature extraction). */
export function addGraphOutput(graph: OnnxGraph, name: string, elemType: number = TensorDataType.FLOAT, dims?: readonly (number | string)[]): void {
  if (graph.output.some((o) => o.name === name)) return;
  const produced = producersOf(graph).has(name) || graph.input.some((i) => i.name === name) || !!findInitializer(graph, name);
  if (!produced) throw new Error(`addGraphOutput: no tensor named "${name}" in graph "${graph.name}"`);
  graph.output.push(dims ? tensorValueInfo(name, elemType, dims) : { name, type: { tensorType: { elemType } } });
}

/** Drop initializers no node, graph output or subgraph reads. Returns the names removed. */
export function removeUnusedInitializers(graph: OnnxGraph): string[] {
  const used = new Set<string>();
  const visit = (g: OnnxGraph): void => {
    for (const n of g.node) {
      for (const i of n.input) used.add(i);
      for (const a of n.attribute) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs ?? []) visit(sub);
      }
    }
    for (const o of g.output) used.add(o.name);
  };
  visit(graph);
  const removed = graph.initializer.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (removed.length > 0) {
    const gone = new Set(removed);
    graph.initializer = graph.initializer.filter((t) => !gone.has(t.name));
    graph.input = graph.input.filter((v) => !gone.has(v.name));
  }
  return removed;
}

/** Order nodes so each comes after the producers of its inputs (stable for already-sorted graphs). */
export function sortTopologically(graph: OnnxGraph): void {
  const available = new Set<string>(['']);
  for (const v of graph.input) available.add(v.name);
  for (const t of graph.initializer) available.add(t.name);
  const pending = [...graph.node];
  const sorted: OnnxNode[] = [];
  while (pending.length > 0) {
    const idx = pending.findIndex((n) => n.input.every((i) => available.has(i)));
    if (idx < 0) {
      const stuck = pending[0];
      const missing = stuck?.input.filter((i) => !available.has(i)) ?? [];
      throw new Error(
        `graph "${graph.name}": node "${stuck?.name ?? '?'}" reads ${missing.map((x) => `"${x}"`).join(', ')}, which nothing produces (or a cycle)`,
      );
    }
    const [node] = pending.splice(idx, 1);
    if (!node) break;
    sorted.push(node);
    for (const o of node.output) available.add(o);
  }
  graph.node = sorted;
}

/** An int8 initializer (quantized weights, zero points). */
export function int8Tensor(name: string, dims: readonly number[], data: Int8Array): OnnxTensor {
  return {
    name,
    dataType: TensorDataType.INT8,
    dims: [...dims],
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  };
}

/** A uint8 initializer (zero points of uint8 activations). */
export function uint8Tensor(name: string, dims: readonly number[], data: Uint8Array): OnnxTensor {
  return { name, dataType: TensorDataType.UINT8, dims: [...dims], rawData: Uint8Array.from(data) };
}

/** An int32 initializer (quantized biases) with little-endian raw_data. */
export function int32Tensor(name: string, dims: readonly number[], data: Int32Array): OnnxTensor {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  data.forEach((v, i) => view.setInt32(i * 4, v, true));
  return { name, dataType: TensorDataType.INT32, dims: [...dims], rawData: raw };
}

/** An attribute's integer list (empty when absent), e.g. a Conv's `pads`. */
export function attrIntsOf(node: OnnxNode, name: string): number[] {
  return (node.attribute.find((a) => a.name === name)?.ints ?? []).map(Number);
}

/** An attribute's integer, or `fallback` when absent (ONNX defaults). */
export function attrIntOf(node: OnnxNode, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a?.i !== undefined ? Number(a.i) : fallback;
}

/** An attribute's float, or `fallback` when absent. */
export function attrFloatOf(node: OnnxNode, name: string, fallback: number): number {
  return node.attribute.find((x) => x.name === name)?.f ?? fallback;
}
