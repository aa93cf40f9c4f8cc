// Graph rewrite: each 3x3 stride-1 Conv becomes Winograd F(m,3) made of standard ONNX ops (Pad, Slice, Add/Sub or MatMul transforms, one batched MatMul for the product, Transpose/Reshape to reassemble the tiles), so onnxruntime runs ~2.25x (F(2,3)) or ~4x (F(4,3)) fewer multiply-adds through MLAS.
import {
  attrInt,
  attrIntOf,
  attrInts,
  attrIntsOf,
  findInitializer,
  float32Tensor,
  int64Tensor,
  removeUnusedInitializers,
  sortTopologically,
  tensorToFloat32,
} from '../onnx/onnx-graph.js';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../onnx/onnx-proto.js';
import { foldBatchNorms } from './fold-batch-norm.js';
import { inferChwShapes, type ChwShape } from './winograd-shapes.js';
import { spaceToDepthStem } from './winograd-stem.js';
import { transformWeights, winogradMatrices, type WinogradMatrices, type WinogradTile } from './winograd-math.js';

/** How the input transform Bᵀ d B is computed: explicit Add/Sub of slices (only for 0/±1 matrices) or a small MatMul by Bᵀ per axis. */
export type InputTransformMode = 'adds' | 'matmul';

export interface WinogradOptions {
  /** Output tile of the stride-1 3x3 convs. */
  tile: WinogradTile;
  /** Per output size (H = W), overriding `tile` for stride-1 convs; 'direct' leaves that size a Conv. */
  tileBySize?: TileBySize;
  /** Output tile of the stride-2 3x3 convs in their polyphase form (winograd-math.ts); default: left direct. */
  stride2?: WinogradTile | 'direct';
  /** Per output size, overriding `stride2`. */
  stride2BySize?: TileBySize;
  /** Output tile of F(m,4) for a 7x7 stride-2 stem on few channels, first made a 4x4 conv by space-to-depth (winograd-stem.ts); default: direct. */
  stem?: WinogradTile | 'direct';
  inputTransform: InputTransformMode;
  layout: WinogradLayout;
  /**
   * NHWC product: one batched MatMul with U [n², C, K] ('batched'), or V split into its n² positions, each times
   * a 2-D U[ξ] ('split'): onnxruntime pre-packs only 2-D constant operands, so a 3-D U is repacked on every run.
   */
  product?: WinogradProduct3x3;
}

export type WinogradProduct3x3 = 'batched' | 'split';

export type TileBySize = Partial<Record<number, WinogradTile | 'direct'>>;

export interface WinogradReport {
  /** Conv node names rewritten. */
  rewritten: string[];
  /** The tile and stride of each rewritten conv, in the same order. */
  tiles: Array<{ m: WinogradTile; stride: 1 | 2; r: number }>;
  /** Conv nodes left direct, with why (kernel, stride, groups, unknown shape). */
  skipped: Array<{ node: string; reason: string }>;
  /** BatchNormalization nodes folded into their convs first (the bias then rides on the output transform). */
  foldedBatchNorms: number;
  /** The batched product of each rewritten conv (NHWC only): V [n², N·T, C] · U [n², C, K] = out, for winograd-int8.ts to make integer. */
  products: WinogradProduct[];
}

export interface WinogradProduct {
  conv: string;
  v: string;
  u: string;
  out: string;
}

/** Emits nodes and initializers under one name prefix for one rewritten conv. */
class Emitter {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private seq = 0;
  constructor(private readonly prefix: string) {}

  name(what: string): string {
    return `${this.prefix}/${what}_${this.seq++}`;
  }
  op(opType: string, inputs: string[], attrs: OnnxNode['attribute'] = [], output?: string): string {
    const out = output ?? this.name(opType);
    this.nodes.push({ name: `${out}/node`, opType, input: inputs, output: [out], attribute: attrs });
    return out;
  }
  ints(values: number[]): string {
    const n = this.name('i64');
    this.inits.push(int64Tensor(n, [values.length], values));
    return n;
  }
  floats(dims: number[], data: Float32Array): string {
    const n = this.name('f32');
    this.inits.push(float32Tensor(n, dims, data));
    return n;
  }
  /** x[..., start : start + step·count : step] along `axis`. */
  slice(x: string, axis: number, start: number, count: number, step: number): string {
    return this.op('Slice', [x, this.ints([start]), this.ints([start + step * (count - 1) + 1]), this.ints([axis]), this.ints([step])]);
  }
  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.ints(shape)]);
  }
}

/**
 * out_i = Σ_p bt[i][p] · part_p, stacked along axis 0 (parts are [N, C, ...] so the result is [n·N, C, ...]).
 * 'adds' uses one Add/Sub per extra term: cheap, exact for F(2,3)'s ±1 matrix. 'matmul' stacks the parts
 * and multiplies by Bᵀ once: one MLAS GEMM instead of many elementwise passes for F(4,3)'s 4/-5 entries.
 */
function combine(e: Emitter, parts: string[], bt: number[][], mode: InputTransformMode, restShape: number[]): string {
  // The trailing unit rows (one coefficient, 1) are their parts as they are: the odd phase of a stride-2 conv costs no arithmetic.
  const isUnit = (row: number[]): boolean => row.filter((c) => c !== 0).length === 1 && row.includes(1);
  let mixedCount = bt.length;
  while (mixedCount > 0 && isUnit(bt[mixedCount - 1] ?? [])) mixedCount--;
  if (mode === 'matmul' && mixedCount > 0) {
    const mixed = bt.slice(0, mixedCount);
    // Only the parts the mixed rows read go into the MatMul.
    const used = parts.map((_, p) => p).filter((p) => mixed.some((row) => row[p] !== 0));
    const stacked = e.reshape(
      e.op(
        'Concat',
        used.map((p) => parts[p] ?? ''),
        [attrInt('axis', 0)],
      ),
      [used.length, -1],
    );
    const mat = Float32Array.from(mixed.flatMap((row) => used.map((p) => row[p] ?? 0)));
    const product = e.reshape(e.op('MatMul', [e.floats([mixedCount, used.length], mat), stacked]), [-1, ...restShape]);
    const passed = bt.slice(mixedCount).map((row) => parts[row.indexOf(1)] ?? '');
    return passed.length === 0 ? product : e.op('Concat', [product, ...passed], [attrInt('axis', 0)]);
  }
  const rows = bt.map((row) => {
    const terms = row.map((coef, p) => ({ coef, part: parts[p] ?? '' })).filter((t) => t.coef !== 0);
    if (terms.some((t) => Math.abs(t.coef) !== 1)) throw new Error(`input transform 'adds' needs a 0/±1 matrix; use 'matmul'`);
    // Lead with a +1 term so no Neg is needed (every row of F(2,3)'s Bᵀ has one).
    terms.sort((a, b) => b.coef - a.coef);
    let acc = terms[0]?.part ?? '';
    if ((terms[0]?.coef ?? 1) < 0) throw new Error('input transform row without a +1 term');
    for (const t of terms.slice(1)) acc = e.op(t.coef > 0 ? 'Add' : 'Sub', [acc, t.part]);
    return acc;
  });
  return e.op('Concat', rows, [attrInt('axis', 0)]);
}

/** Where the transforms run: NCHW as the graph is, or NHWC (one transpose each way) so every tile cut copies whole channel vectors. */
export type WinogradLayout = 'nchw' | 'nhwc';

/**
 * Pad, cut the overlapping n x n tiles (stride·m apart) and transform them. NCHW returns V as [n², N, C, T];
 * NHWC as [n², N·T, C]; ξ = j·n + i either way.
 */
function inputTransform(e: Emitter, cv: ConvParts, mats: WinogradMatrices, opts: WinogradOptions): { v: string; th: number; tw: number } {
  const { m, n, bt } = mats;
  const { s, pad } = cv;
  const th = Math.ceil(cv.o.h / m);
  const tw = Math.ceil(cv.o.w / m);
  // Tiles start stride·m input samples apart; the tail pad completes the last tile (its extra outputs are sliced off).
  const step = mats.stride * m;
  const [hp, wp] = [step * th + n - step, step * tw + n - step];
  const [bottom, right] = [hp - pad - s.h, wp - pad - s.w];
  const nhwc = opts.layout === 'nhwc';
  const [hAxis, wAxis] = nhwc ? [1, 2] : [2, 3];
  // The conv's own pad before, the tail after (a negative tail drops rows no tile reads).
  const x = nhwc ? e.op('Transpose', [cv.x], [attrInts('perm', [0, 2, 3, 1])]) : cv.x;
  const pads = nhwc ? [0, pad, pad, 0, 0, bottom, right, 0] : [0, 0, pad, pad, 0, 0, bottom, right];
  const padded = pads.every((q) => q === 0) ? x : e.op('Pad', [x, e.ints(pads)]);
  // Rows first: step-m slices along H copy whole rows, the cheap direction.
  const rowParts = Array.from({ length: n }, (_, p) => e.slice(padded, hAxis, p, th, step));
  const rows = combine(e, rowParts, bt, opts.inputTransform, nhwc ? [th, wp, s.c] : [s.c, th, wp]);
  const colParts = Array.from({ length: n }, (_, q) => e.slice(rows, wAxis, q, tw, step));
  const v = combine(e, colParts, bt, opts.inputTransform, nhwc ? [th, tw, s.c] : [s.c, th, tw]);
  return { v: e.reshape(v, nhwc ? [n * n, -1, s.c] : [n * n, -1, s.c, th * tw]), th, tw };
}

interface Spatial {
  h: number;
  w: number;
}

interface ConvParts {
  x: string;
  out: string;
  s: ChwShape;
  /** Output size: the input's for stride 1, half (rounded up) for stride 2. */
  o: Spatial;
  /** The conv's pad on every side. */
  pad: number;
  k: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

/**
 * Aᵀ M A over every tile at once, separably: Aᵀ along i (one MatMul broadcast over j), then along j.
 * m·n² + m²·n multiply-adds per tile and channel instead of the m²·n² of one Kronecker GEMM (240 vs 576 for F(4,3)).
 * `prod` is [n², rest] with ξ = j·n + i; returns [m (b, column), m (a, row), rest].
 */
function outputTransform(e: Emitter, prod: string, mats: WinogradMatrices): string {
  const { m, n } = mats;
  const at = e.floats([m, n], Float32Array.from(mats.at.flat()));
  const rows = e.op('MatMul', [at, e.reshape(prod, [n, n, -1])]);
  return e.op('MatMul', [at, e.reshape(rows, [n, -1])]);
}

/** V [n², N·T, C] split along ξ, each [1, N·T, C]·U[ξ] [C, K] with U[ξ] a 2-D constant, concatenated back to [n², N·T, K]. */
function splitProduct(e: Emitter, v: string, u: Float32Array, positions: number, c: number, k: number): string {
  const parts = Array.from({ length: positions }, () => e.name('position'));
  e.nodes.push({ name: `${parts[0] ?? ''}/split`, opType: 'Split', input: [v], output: parts, attribute: [attrInt('axis', 0)] });
  const products = parts.map((part, xi) => e.op('MatMul', [part, e.floats([c, k], u.slice(xi * c * k, (xi + 1) * c * k))]));
  return e.op('Concat', products, [attrInt('axis', 0)]);
}

/** The product (n² GEMMs, one batched MatMul), the output transform, tile reassembly and bias. */
function productAndOutput(e: Emitter, cv: ConvParts, mats: WinogradMatrices, opts: WinogradOptions): { v: string; u: string; out: string } | undefined {
  const { m, n } = mats;
  const { s, k } = cv;
  const { v, th, tw } = inputTransform(e, cv, mats, opts);
  const nhwc = opts.layout === 'nhwc';
  const crop = (t: string, axes: number[]): string =>
    m * th === cv.o.h && m * tw === cv.o.w ? t : e.op('Slice', [t, e.ints([0, 0]), e.ints([cv.o.h, cv.o.w]), e.ints(axes)]);
  const finish = (t: string, biasDims: number[]): string => (cv.bias ? e.op('Add', [t, e.floats(biasDims, cv.bias)]) : t);
  if (!nhwc) {
    // [n², K, C]·[n², N, C, T] (U broadcast over the batch) → [n², N, K, T].
    const u = e.floats([n * n, 1, k, s.c], transformWeights(cv.weight, k, s.c, mats, 'kc'));
    const y = outputTransform(e, e.reshape(e.op('MatMul', [u, v]), [n * n, -1]), mats);
    // [b, a, N, K, th, tw] → [N, K, th, a, tw, b]
    const tiles = e.op('Transpose', [e.reshape(y, [m, m, -1, k, th, tw])], [attrInts('perm', [2, 3, 4, 1, 5, 0])]);
    e.op('Identity', [finish(crop(e.reshape(tiles, [-1, k, m * th, m * tw]), [2, 3]), [1, k, 1, 1])], [], cv.out);
    return undefined;
  }
  // [n², N·T, C]·[n², C, K]: U is a constant right operand, which onnxruntime can pre-pack.
  const uData = transformWeights(cv.weight, k, s.c, mats, 'ck');
  const u = opts.product === 'split' ? '' : e.floats([n * n, s.c, k], uData);
  const product = opts.product === 'split' ? splitProduct(e, v, uData, n * n, s.c, k) : e.op('MatMul', [v, u]);
  const y = outputTransform(e, e.reshape(product, [n * n, -1]), mats);
  // [b, a, N, th, tw, K] → [N, th, a, tw, b, K]: every copied run is a whole K-vector.
  const tiles = e.op('Transpose', [e.reshape(y, [m, m, -1, th, tw, k])], [attrInts('perm', [2, 3, 1, 4, 0, 5])]);
  const nhwcOut = finish(crop(e.reshape(tiles, [-1, m * th, m * tw, k]), [1, 2]), [k]);
  e.op('Transpose', [nhwcOut], [attrInts('perm', [0, 3, 1, 2])], cv.out);
  return opts.product === 'split' ? undefined : { v, u, out: product };
}

function rewriteConv(graph: OnnxGraph, conv: OnnxNode, plan: ConvPlan, opts: WinogradOptions): { nodes: OnnxNode[]; product?: WinogradProduct } {
  const mats = winogradMatrices(plan.m, plan.stride, plan.r);
  const weight = findInitializer(graph, conv.input[1] ?? '');
  if (!weight) throw new Error(`winograd: ${conv.name} has no weight initializer`);
  const biasT = conv.input[2] ? findInitializer(graph, conv.input[2]) : undefined;
  const e = new Emitter(`${conv.name}/winograd${mats.m}${plan.stride === 2 ? 's2' : ''}`);
  const k = Number(weight.dims[0]);
  const weightData = tensorToFloat32(weight);
  const cv: ConvParts = {
    x: conv.input[0] ?? '',
    out: conv.output[0] ?? '',
    s: plan.s,
    o: plan.o,
    pad: plan.pad,
    k,
    weight: weightData,
    bias: biasT && tensorToFloat32(biasT),
  };
  const product = productAndOutput(e, cv, mats, opts);
  graph.initializer.push(...e.inits);
  return { nodes: e.nodes, ...(product && { product: { conv: conv.name, ...product } }) };
}

interface ConvPlan {
  m: WinogradTile;
  stride: 1 | 2;
  /** Kernel taps per axis. */
  r: number;
  pad: number;
  s: ChwShape;
  o: Spatial;
}

/** The tile `opts` gives a conv of this kernel, stride and output size. */
function tileFor(opts: WinogradOptions, r: number, stride: number, outSize: number): WinogradTile | 'direct' {
  if (r === 4) return opts.stem ?? 'direct';
  if (stride === 1) return opts.tileBySize?.[outSize] ?? opts.tile;
  return opts.stride2BySize?.[outSize] ?? opts.stride2 ?? 'direct';
}

/** How `conv` is rewritten under `opts`, or why it is not (a string). */
export function planWinograd(graph: OnnxGraph, conv: OnnxNode, s: ChwShape | undefined, opts: WinogradOptions): ConvPlan | string {
  const weight = findInitializer(graph, conv.input[1] ?? '');
  if (!weight || weight.dims.length !== 4) return 'weight is not a 4-D initializer';
  const [kh, kw] = [Number(weight.dims[2]), Number(weight.dims[3])];
  const strides = attrIntsOf(conv, 'strides');
  const stride = strides[0] ?? 1;
  if ((strides[1] ?? 1) !== stride || (stride !== 1 && stride !== 2)) return `strides [${strides.join(', ')}]`;
  // 3x3 at stride 1 or 2; 4x4 at stride 1 is the stem after space-to-depth (winograd-stem.ts).
  if (kh !== kw || !(kh === 3 || (kh === 4 && stride === 1))) return `kernel ${kh}x${kw}${stride === 2 ? ' stride 2' : ''}`;
  if (attrIntsOf(conv, 'dilations').some((x) => x !== 1)) return 'dilated';
  if (attrIntOf(conv, 'group', 1) !== 1) return 'grouped';
  const pads = attrIntsOf(conv, 'pads');
  const pad = pads[0] ?? 0;
  if (pads.some((q) => q !== pad) || pad >= kh) return `pads [${pads.join(', ')}] (the same on every side, less than the kernel)`;
  if (conv.input[2] && !findInitializer(graph, conv.input[2])) return 'bias is not an initializer';
  if (!s) return 'input shape unknown';
  const o = { h: Math.floor((s.h + 2 * pad - kh) / stride) + 1, w: Math.floor((s.w + 2 * pad - kw) / stride) + 1 };
  const m = tileFor(opts, kh, stride, Math.max(o.h, o.w));
  if (m === 'direct') return stride === 1 ? `left direct at ${o.h}x${o.w}` : 'stride 2 (see --stride2-tile)';
  return { m, stride, r: kh, pad, s, o };
}

/** `F(4,3)` when every rewritten conv has one tile, else each tile with its count. */
export function describeTiles(report: WinogradReport): string {
  const counts = new Map<string, number>();
  for (const t of report.tiles) {
    const label = t.stride === 2 ? `stride-2 F(${t.m},2)+odd` : t.r === 3 ? `F(${t.m},3)` : `space-to-depth stem F(${t.m},${t.r})`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const [only] = counts.keys();
  return counts.size === 1 ? (only ?? '') : `(${[...counts].map(([l, c]) => `${l} x${c}`).join(', ')})`;
}

/** Rewrite every eligible Conv of `graph` in place (BatchNorms folded first). */
export function winogradGraph(graph: OnnxGraph, opts: WinogradOptions): WinogradReport {
  const { folded } = foldBatchNorms(graph);
  const shapes = inferChwShapes(graph);
  const report: WinogradReport = { rewritten: [], tiles: [], skipped: [], foldedBatchNorms: folded.length, products: [] };
  const next: OnnxNode[] = [];
  for (const node of graph.node) {
    if (node.opType !== 'Conv' || (node.domain ?? '') !== '') {
      next.push(node);
      continue;
    }
    const stem = opts.stem && opts.stem !== 'direct' ? spaceToDepthStem(graph, node, shapes.get(node.input[0] ?? '')) : undefined;
    const conv = stem?.conv ?? node;
    if (stem) next.push(...stem.nodes);
    const plan = planWinograd(graph, conv, stem?.s ?? shapes.get(node.input[0] ?? ''), opts);
    if (typeof plan === 'string') {
      report.skipped.push({ node: node.name, reason: plan });
      next.push(conv);
      continue;
    }
    const r = rewriteConv(graph, conv, plan, opts);
    next.push(...r.nodes);
    if (r.product) report.products.push(r.product);
    report.rewritten.push(node.name);
    report.tiles.push({ m: plan.m, stride: plan.stride, r: plan.r });
  }
  graph.node = next;
  // The old weights and biases are read by nothing now.
  removeUnusedInitializers(graph);
  sortTopologically(graph);
  return report;
}
