// `fieldeye model winograd` behind the command: load a float32 model with its card, rewrite its 3x3 stride-1 convs as Winograd (winograd-graph.ts) and write the model and its card together.
import { writeModelWithCard } from './write-model-files.js';
import { resolve } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { decodeModel, encodeModel } from '../onnx/onnx-proto.js';
import { loadModel } from '../vision/model-loader.js';
import { ModelCardSchema, sha256Hex, type ModelCard } from '../vision/model-card.js';
import { describeTiles, winogradGraph, type WinogradOptions, type WinogradReport } from './winograd-graph.js';

/**
 * Defaults: the fastest plan measured on the Pi 4 instrument whose logits stay within 1e-4, whose transformed weights
 * are each used by at least 4 tiles a frame, and whose intermediates stay near the Pi 4's 1 MB L2 (the instrument
 * counts instructions and cannot see DRAM traffic; see the closing note of issue 20). Stride-1 3x3 convs as F(4,3)
 * with the transforms in NHWC, where every tile cut copies whole channel vectors, and one MatMul per transformed
 * position so onnxruntime packs each 2-D U once at load; F(5,3) at 14x14 (3x3 tiles of 5 cover 14 with less waste
 * than 4x4 tiles of 4); the stride-2 3x3 convs in polyphase form at 28x28 (F(4,2)) and 14x14 (F(7,2)) outputs, at
 * 7x7 direct (4 tiles: 42 MB of transformed weights for a quarter fewer multiplies). The 7x7 stem stays direct:
 * `--stem-tile 4` projects 6 ms faster but its products are 10 MB a frame. The sizes are those of a 224x224 ResNet;
 * other sizes get F(4,3) and direct stride-2 convs.
 */
export const DEFAULT_WINOGRAD: WinogradOptions = {
  tile: 4,
  tileBySize: { 14: 5 },
  stride2: 'direct',
  stride2BySize: { 28: 4, 14: 7 },
  stem: 'direct',
  inputTransform: 'matmul',
  layout: 'nhwc',
  product: 'split',
};

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
  const onlyF23 = opts.tile === 2 && Object.values(opts.tileBySize ?? {}).every((t) => t === 2 || t === 'direct');
  if (
    opts.inputTransform === 'adds' &&
    !(onlyF23 && (opts.stride2 ?? 'direct') === 'direct' && Object.keys(opts.stride2BySize ?? {}).length === 0 && (opts.stem ?? 'direct') === 'direct')
  )
    throw new Error(
      `--input-transform adds needs F(2,3) everywhere and nothing else (larger tiles' Bᵀ have entries like 4 and -5): add --tile 2 --stride2-tile direct --stem-tile direct, or use matmul`,
    );
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
      `--model ${options.modelPath} has no 3x3 Conv with pads 1 and a known input shape that the tiles given rewrite; nothing to rewrite (skipped: ${report.skipped.map((s) => `${s.node}: ${s.reason}`).join('; ')})`,
    );
  }
  const bytes = encodeModel(model);
  const card = ModelCardSchema.parse({
    ...source.card,
    name: `${source.card.name}-winograd`,
    sha256: sha256Hex(bytes),
    provenance: `${source.card.provenance}; ${report.rewritten.length} 3x3 convs rewritten as Winograd ${describeTiles(report)} (${opts.layout} transforms, input transform by ${opts.inputTransform}${opts.layout === 'nhwc' ? `, ${opts.product ?? 'batched'} product` : ''}) by fieldeye model winograd (source sha256 ${source.sha256})`,
    createdAt: new Date().toISOString(),
  });
  // Both files appear together or not at all.
  const cardPath = await writeModelWithCard(options.outPath, bytes, card);
  return { outPath: options.outPath, cardPath, card, report, options: opts };
}
