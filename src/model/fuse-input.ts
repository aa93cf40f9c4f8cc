// Input fusion: prepends Cast, Transpose, Div 255, Sub mean and Div std to a float32 NCHW classifier so it takes the crop's RGB bytes (uint8 NHWC) and the pipeline skips normalisation.
import { writeModelWithCard } from './write-model-files.js';
import { resolve } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { loadModel } from '../vision/model-loader.js';
import { ModelCardSchema, type ModelCard } from '../vision/model-card.js';
import { attrInt, attrInts, float32Tensor, tensorValueInfo } from '../onnx/onnx-graph.js';
import { TensorDataType, decodeModel, encodeModel, type OnnxModel } from '../onnx/onnx-proto.js';
import { sha256Hex } from '../vision/model-card.js';

export const DEFAULT_FUSED_INPUT_NAME = 'input_rgb';

export interface FuseInputOptions {
  modelPath: string;
  outPath: string;
  /** Name of the new uint8 input (default input_rgb). */
  inputName?: string;
}

export interface FuseInputResult {
  outPath: string;
  cardPath: string;
  card: ModelCard;
}

/**
 * Rewrite `model` in place so its input is uint8 [N, H, W, 3] named `inputName`, feeding
 * Cast(float) → Transpose(NHWC→NCHW) → Div(255) → Sub(mean) → Div(std) into the old input's name.
 * The normalisation stays as explicit ops rather than being folded into conv1's weights: conv1
 * zero-pads in normalised space, so a folded conv1 would differ along the image border.
 * It is torchvision's three float32 roundings (ToTensor's /255, then Normalize), not the shorter
 * (x - 255·mean) / (255·std): that one rounds differently and moved seed-1 logits by up to 1.5e-5;
 * this one gives the exact-mode tensor bit for bit.
 */
export function fuseInputGraph(model: OnnxModel, card: ModelCard, inputName: string): void {
  const g = model.graph;
  const old = card.input.name;
  const at = g.input.findIndex((v) => v.name === old);
  if (at < 0) throw new Error(`fuse-input: the graph has no input named "${old}" (card input.name); fix the card`);
  const taken = new Set([...g.node.flatMap((n) => [...n.input, ...n.output]), ...g.initializer.map((t) => t.name), ...g.input.map((v) => v.name)]);
  const prefix = 'fuse_input';
  const names = {
    cast: `${prefix}/float`,
    nchw: `${prefix}/nchw`,
    unit: `${prefix}/unit`,
    centred: `${prefix}/centred`,
    scale: `${prefix}/255`,
    mean: `${prefix}/mean`,
    std: `${prefix}/std`,
  };
  for (const n of [inputName, ...Object.values(names)]) {
    if (taken.has(n)) throw new Error(`fuse-input: the graph already uses the name "${n}"; pass another --input-name (or the model is already fused)`);
  }
  const { mean, std } = card.input;
  const [n, , h, w] = card.input.shape;
  g.initializer.push(
    float32Tensor(names.scale, [], Float32Array.of(255)),
    float32Tensor(names.mean, [1, 3, 1, 1], Float32Array.from(mean)),
    float32Tensor(names.std, [1, 3, 1, 1], Float32Array.from(std)),
  );
  g.node.unshift(
    { name: `${prefix}/Cast`, opType: 'Cast', input: [inputName], output: [names.cast], attribute: [attrInt('to', TensorDataType.FLOAT)] },
    { name: `${prefix}/Transpose`, opType: 'Transpose', input: [names.cast], output: [names.nchw], attribute: [attrInts('perm', [0, 3, 1, 2])] },
    { name: `${prefix}/Scale`, opType: 'Div', input: [names.nchw, names.scale], output: [names.unit], attribute: [] },
    { name: `${prefix}/Sub`, opType: 'Sub', input: [names.unit, names.mean], output: [names.centred], attribute: [] },
    // Its output keeps the old input's name, so every consumer of the old input is untouched.
    { name: `${prefix}/Div`, opType: 'Div', input: [names.centred, names.std], output: [old], attribute: [] },
  );
  g.input[at] = tensorValueInfo(inputName, TensorDataType.UINT8, [n === -1 ? 'N' : n, h, w, 3]);
  g.valueInfo = g.valueInfo.filter((v) => v.name !== old);
}

/** Load a float32 NCHW model with its card, fuse its input, and write the model and its card together (or nothing). */
export async function fuseInputFile(options: FuseInputOptions, logger?: Logger): Promise<FuseInputResult> {
  const inputName = options.inputName ?? DEFAULT_FUSED_INPUT_NAME;
  if (resolve(options.outPath) === resolve(options.modelPath))
    throw new Error(`--out ${options.outPath} is the input model; write the fused model to another file`);
  if (!options.outPath.endsWith('.onnx'))
    throw new Error(`--out must end in .onnx (received ${options.outPath}); the card is written as <name>.card.json next to it`);
  const source = await loadModel(options.modelPath, logger ? { logger } : {});
  for (const w of source.warnings) logger?.warn(w);
  const { input } = source.card;
  if (input.dtype !== 'float32' || input.layout !== 'NCHW') {
    throw new Error(`--model ${options.modelPath}: its input "${input.name}" is already ${input.dtype} ${input.layout}; fuse-input takes a float32 NCHW model`);
  }
  const model = decodeModel(source.bytes);
  fuseInputGraph(model, source.card, inputName);
  const bytes = encodeModel(model);
  const [n, , h, w] = input.shape;
  const card = ModelCardSchema.parse({
    ...source.card,
    name: `${source.card.name}-rgb`,
    input: {
      name: inputName,
      dtype: 'uint8',
      layout: 'NHWC',
      shape: [n, h, w, 3],
      mean: [0, 0, 0],
      std: [1, 1, 1],
      normalisedInGraph: { mean: input.mean, std: input.std },
      resizeShorterPx: input.resizeShorterPx,
    },
    sha256: sha256Hex(bytes),
    provenance: `${source.card.provenance}; input fused by fieldeye model fuse-input (uint8 NHWC RGB → Cast, Transpose, Div 255, Sub mean, Div std; source sha256 ${source.sha256})`,
    createdAt: new Date().toISOString(),
  });

  // Both files appear together or not at all.
  const cardPath = await writeModelWithCard(options.outPath, bytes, card);
  return { outPath: options.outPath, cardPath, card };
}
