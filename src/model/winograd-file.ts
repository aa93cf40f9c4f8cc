// `fieldeye model winograd` behind the command: load a float32 model with its card, rewrite its 3x3 stride-1 convs as Winograd (winograd-graph.ts) and write the model and its card together.
import { writeModelWithCard } from './write-model-files.js';
import { resolve } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { decodeModel, encodeModel } from '../onnx/onnx-proto.js';
import { loadModel } from '../vision/model-loader.js';
import { ModelCardSchema, sha256Hex, type ModelCard } from '../vision/model-card.js';
import { winogradGraph, type WinogradOptions, type WinogradReport } from './winograd-graph.js';

/**
 * Defaults are the fastest formulation measured on the Pi 4 instrument (see the closing note of issue 20):
 * F(4,3) with the transforms in NHWC, where every tile cut copies whole channel vectors, and one MatMul per
 * transformed position so onnxruntime packs each 2-D U once at load (240 → 227 ms at 1 thread).
 */
export const DEFAULT_WINOGRAD: WinogradOptions = { tile: 4, inputTransform: 'matmul', layout: 'nhwc', product: 'split' };

export interface WinogradFileOptions {
  modelPath: string;
  outPath: string;
  winograd?: Partial<WinogradOptions>;
}

export interface WinogradFileResult {
  outPath: string;
  cardPath: string;
  card: ModelCard;
  report: WinogradReport;
  options: WinogradOptions;
}

export async function winogradFile(options: WinogradFileOptions, logger?: Logger): Promise<WinogradFileResult> {
  if (resolve(options.outPath) === resolve(options.modelPath))
    throw new Error(`--out ${options.outPath} is the input model; write the rewritten model to another file`);
  if (!options.outPath.endsWith('.onnx'))
    throw new Error(`--out must end in .onnx (received ${options.outPath}); the card is written as <name>.card.json next to it`);
  const opts: WinogradOptions = { ...DEFAULT_WINOGRAD, ...options.winograd };
  if (opts.inputTransform === 'adds' && opts.tile !== 2)
    throw new Error(`--input-transform adds needs --tile 2 (F(4,3)'s Bᵀ has entries 4 and -5); use matmul`);
  const source = await loadModel(options.modelPath, logger ? { logger } : {});
  for (const w of source.warnings) logger?.warn(w);
  if (source.card.precision !== 'fp32') {
    throw new Error(
      `--model ${options.modelPath} is ${source.card.precision}; the Winograd rewrite takes a float32 model (int8 convs are fused by onnxruntime as they are)`,
    );
  }
  const model = decodeModel(source.bytes);
  const report = winogradGraph(model.graph, opts);
  if (report.rewritten.length === 0) {
    throw new Error(
      `--model ${options.modelPath} has no 3x3 stride-1 Conv with pads 1 and a known input shape; nothing to rewrite (skipped: ${report.skipped.map((s) => `${s.node}: ${s.reason}`).join('; ')})`,
    );
  }
  const bytes = encodeModel(model);
  const card = ModelCardSchema.parse({
    ...source.card,
    name: `${source.card.name}-winograd`,
    sha256: sha256Hex(bytes),
    provenance: `${source.card.provenance}; ${report.rewritten.length} 3x3 stride-1 convs rewritten as Winograd F(${opts.tile},3) (${opts.layout} transforms, input transform by ${opts.inputTransform}${opts.layout === 'nhwc' ? `, ${opts.product ?? 'batched'} product` : ''}) by fieldeye model winograd (source sha256 ${source.sha256})`,
    createdAt: new Date().toISOString(),
  });
  // Both files appear together or not at all.
  const cardPath = await writeModelWithCard(options.outPath, bytes, card);
  return { outPath: options.outPath, cardPath, card, report, options: opts };
}
