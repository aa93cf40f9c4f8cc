// Loads an .onnx classifier with its model card and labels, and refuses a model that does not match its card.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelCardSchema, IMAGENET_MEAN, IMAGENET_STD, type ModelCard } from './model-card.js';
import { OnnxDecodeError, TensorDataType, decodeModel, type OnnxModel } from '../onnx/onnx-proto.js';
import { summarizeGraph, type DimInfo, type TensorInfo } from '../onnx/onnx-graph.js';
import { cardPathFor, sha256Hex } from './model-card.js';
import { packageRoot } from '../platform/package-root.js';
import type { Logger } from '../platform/logger.js';
import { FieldeyeError } from '../platform/fieldeye-error.js';

/** A model that failed to load or does not match its card; the message names the files and the fix. */
export class ModelLoadError extends FieldeyeError {
  override readonly name = 'ModelLoadError';
  constructor(
    message: string,
    readonly modelPath: string,
    readonly cardPath: string | null = null,
  ) {
    super('model', message);
  }
}

export interface LoadedModel {
  /** The .onnx path as given. */
  path: string;
  /** The card that was read, or null when the ImageNet defaults were assumed. */
  cardPath: string | null;
  bytes: Uint8Array;
  card: ModelCard;
  labels: string[];
  /** sha256 of `bytes`, lowercase hex (equal to card.sha256 when a card was read). */
  sha256: string;
  /** Things that did not stop the load but that an operator should see (the caller logs them). */
  warnings: string[];
}

export interface LoadModelOptions {
  logger?: Logger;
  /** Folder of bundled labels (default: the package's models/). */
  bundledModelsDir?: string;
}

export const IMAGENET_LABELS_FILE = 'imagenet-labels.txt';

const QUANTIZED_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearGlobalAveragePool',
  'ConvInteger',
  'MatMulInteger',
  'DynamicQuantizeLinear',
]);

export function bundledModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

function fmtShape(shape: readonly (DimInfo | number)[] | null): string {
  if (!shape) return 'unknown rank';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function quantizedOps(model: OnnxModel): string[] {
  return [...new Set(model.graph.node.filter((n) => QUANTIZED_OPS.has(n.opType)).map((n) => n.opType))];
}

async function readLabels(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function mustHaveUsableGraph(model: OnnxModel, modelPath: string): { input: TensorInfo; output: TensorInfo; inputs: TensorInfo[]; outputs: TensorInfo[] } {
  const summary = summarizeGraph(model);
  const [input] = summary.inputs;
  const [output] = summary.outputs;
  if (model.graph.node.length === 0 || !input || !output) {
    throw new ModelLoadError(
      `${modelPath} is not a usable ONNX model (the graph has ${model.graph.node.length} nodes, ${summary.inputs.length} inputs, ${summary.outputs.length} outputs); re-export it (models/export-torchvision.py) or create one with \`fieldeye model synth\``,
      modelPath,
    );
  }
  return { input, output, inputs: summary.inputs, outputs: summary.outputs };
}

/** Number of classes a [N, K] (or [K]) output declares, or null when the graph leaves it open. */
function outputClasses(info: TensorInfo): number | null {
  const last = info.shape?.[info.shape.length - 1];
  return typeof last === 'number' ? last : null;
}

/**
 * Read an .onnx model, its card (`x.onnx` -> `x.card.json`) and labels, and check them against
 * each other: sha256, input name/dtype/C,H,W, output name/size, label count, precision. Without a
 * card the ImageNet defaults are assumed (and said in `warnings`).
 */
export async function loadModel(modelPath: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const started = performance.now();
  const warnings: string[] = [];
  const st = await stat(modelPath).catch(() => null);
  if (!st) {
    throw new ModelLoadError(
      `model file not found: ${modelPath}. Create it with \`fieldeye model synth --seed 1 --out ${modelPath}\` (synthetic, untrained weights) or export real ImageNet weights with models/export-torchvision.py`,
      modelPath,
    );
  }
  if (!st.isFile()) throw new ModelLoadError(`model path ${modelPath} is not a file; point it at the .onnx file`, modelPath);

  const buf = await readFile(modelPath);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const sha256 = sha256Hex(bytes);
  let model: OnnxModel;
  try {
    if (bytes.length === 0) throw new OnnxDecodeError('the file is empty');
    model = decodeModel(bytes);
  } catch (err) {
    if (!(err instanceof OnnxDecodeError)) throw err;
    throw new ModelLoadError(
      `${modelPath} is not an ONNX model (${err.message}); expected an ONNX ModelProto file as written by \`fieldeye model synth\` or models/export-torchvision.py`,
      modelPath,
    );
  }
  const graph = mustHaveUsableGraph(model, modelPath);
  const quantOps = quantizedOps(model);
  const modelsDir = options.bundledModelsDir ?? bundledModelsDir();

  const cardPath = cardPathFor(modelPath);
  const hasCard = existsSync(cardPath);
  let card: ModelCard;
  let labelsPath: string;
  let labels: string[];
  if (!hasCard) {
    card = defaultCard(modelPath, cardPath, graph.input, graph.output, sha256, quantOps.length > 0 ? 'int8' : 'fp32', st.mtime);
    labelsPath = path.join(modelsDir, IMAGENET_LABELS_FILE);
    labels = await readLabels(labelsPath);
    warnings.push(
      `no model card next to ${modelPath} (looked for ${cardPath}); assuming an ImageNet classifier: input "${card.input.name}" float32 NCHW 3x224x224, ImageNet mean/std, resize 256, ${labels.length} bundled ImageNet labels, ${card.precision}. Write a card (see models/README.md) so the model is checked at load`,
    );
  } else {
    card = await readCard(cardPath, modelPath);
    checkCardAgainstGraph(card, cardPath, modelPath, sha256, graph, quantOps);
    labelsPath = resolveLabelsFile(card, cardPath, modelPath, modelsDir);
    labels = await readLabels(labelsPath);
  }

  if (labels.length !== card.output.size) {
    throw new ModelLoadError(
      `labels file ${labelsPath} has ${labels.length} labels, but model ${modelPath} outputs ${card.output.size} classes; use the labels file that belongs to this model${hasCard ? ` (card ${cardPath}, labelsFile)` : ''}`,
      modelPath,
      hasCard ? cardPath : null,
    );
  }
  const empty = labels.findIndex((l) => l.trim() === '');
  if (empty >= 0) {
    throw new ModelLoadError(
      `labels file ${labelsPath}: line ${empty + 1} is empty; every class needs a name, one per line`,
      modelPath,
      hasCard ? cardPath : null,
    );
  }
  if (card.input.shape[0] === -1 && typeof graph.input.shape?.[0] === 'number') {
    warnings.push(
      `model ${modelPath}: the card declares a dynamic batch but the graph's input "${graph.input.name}" has a fixed batch of ${graph.input.shape[0]}`,
    );
  }

  options.logger?.debug(
    {
      model: modelPath,
      card: hasCard ? cardPath : null,
      sha256,
      precision: card.precision,
      classes: labels.length,
      ms: Math.round(performance.now() - started),
    },
    'model loaded',
  );
  return { path: modelPath, cardPath: hasCard ? cardPath : null, bytes, card, labels, sha256, warnings };
}

function defaultCard(
  modelPath: string,
  cardPath: string,
  input: TensorInfo,
  output: TensorInfo,
  sha256: string,
  precision: ModelCard['precision'],
  mtime: Date,
): ModelCard {
  const [, c, h, w] = input.shape ?? [];
  const fixedMismatch = [c, h, w].some((d, i) => typeof d === 'number' && d !== [3, 224, 224][i]);
  if (input.shape?.length !== 4 || fixedMismatch || input.elemType !== TensorDataType.FLOAT) {
    throw new ModelLoadError(
      `model ${modelPath} has no card (${cardPath}) and its input "${input.name}" is ${fmtShape(input.shape)} of ONNX type ${input.elemType}, not the ImageNet default float32 [N, 3, 224, 224]; write a card for it (see models/README.md)`,
      modelPath,
    );
  }
  const classes = outputClasses(output);
  if (classes !== null && classes !== 1000) {
    throw new ModelLoadError(
      `model ${modelPath} has no card (${cardPath}) and its output "${output.name}" has ${classes} classes, not ImageNet's 1000; write a card with output.size and labelsFile (see models/README.md)`,
      modelPath,
    );
  }
  return ModelCardSchema.parse({
    cardVersion: 1,
    name: path.basename(modelPath).replace(/\.onnx$/, ''),
    architecture: 'unknown',
    input: {
      name: input.name,
      dtype: 'float32',
      layout: 'NCHW',
      shape: [typeof input.shape[0] === 'number' ? input.shape[0] : -1, 3, 224, 224],
      mean: [...IMAGENET_MEAN],
      std: [...IMAGENET_STD],
      resizeShorterPx: 256,
    },
    output: { name: output.name, size: 1000 },
    labelsFile: IMAGENET_LABELS_FILE,
    precision,
    sha256,
    provenance: 'unknown: no model card, ImageNet defaults assumed',
    createdAt: mtime.toISOString(),
  });
}

async function readCard(cardPath: string, modelPath: string): Promise<ModelCard> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(cardPath, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(
      `model card ${cardPath} is not valid JSON (${(err as Error).message}); fix it, or delete it to load ${modelPath} with ImageNet defaults`,
      modelPath,
      cardPath,
    );
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(card)'}: ${i.message}`).join('; ');
    throw new ModelLoadError(`model card ${cardPath} is invalid: ${issues}; the format is ModelCardSchema in src/vision/model-card.ts`, modelPath, cardPath);
  }
  return parsed.data;
}

function checkCardAgainstGraph(
  card: ModelCard,
  cardPath: string,
  modelPath: string,
  sha256: string,
  graph: { inputs: TensorInfo[]; outputs: TensorInfo[] },
  quantOps: string[],
): void {
  const fail = (message: string): never => {
    throw new ModelLoadError(message, modelPath, cardPath);
  };
  if (card.sha256 !== sha256) {
    fail(
      `model card ${cardPath} does not match ${modelPath}: the card expects sha256 ${card.sha256}, the file has ${sha256}. The model changed after its card was written: restore the model, or regenerate model and card together (\`fieldeye model synth\`, models/export-torchvision.py)`,
    );
  }
  const input = graph.inputs.find((i) => i.name === card.input.name);
  if (!input) {
    fail(
      `model ${modelPath} has no input named "${card.input.name}" (card ${cardPath}, input.name); the graph's inputs are ${graph.inputs.map((i) => `"${i.name}"`).join(', ')}: fix input.name in the card`,
    );
    return;
  }
  const expectedElemType = card.input.dtype === 'uint8' ? TensorDataType.UINT8 : TensorDataType.FLOAT;
  if (input.elemType !== expectedElemType) {
    fail(
      `model ${modelPath}: input "${input.name}" has ONNX element type ${input.elemType}, but the card ${cardPath} says ${card.input.dtype} (ONNX type ${expectedElemType}); fix the card or the model`,
    );
  }
  const shape = input.shape;
  const cardShape = card.input.shape;
  const mismatch =
    shape !== null &&
    (shape.length !== 4 ||
      [1, 2, 3].some((i) => typeof shape[i] === 'number' && shape[i] !== cardShape[i]) ||
      (typeof shape[0] === 'number' && cardShape[0] !== -1 && shape[0] !== cardShape[0]));
  if (mismatch) {
    fail(
      `model ${modelPath}: input "${input.name}" is ${fmtShape(shape)} in the graph, but the card ${cardPath} says ${fmtShape(cardShape)} (${card.input.layout === 'NCHW' ? 'N, C, H, W' : 'N, H, W, C'}); fix input.shape in the card or use the model the card was written for`,
    );
  }
  const output = graph.outputs.find((o) => o.name === card.output.name);
  if (!output) {
    fail(
      `model ${modelPath} has no output named "${card.output.name}" (card ${cardPath}, output.name); the graph's outputs are ${graph.outputs.map((o) => `"${o.name}"`).join(', ')}: fix output.name in the card`,
    );
    return;
  }
  const classes = outputClasses(output);
  if (classes !== null && classes !== card.output.size) {
    fail(
      `model ${modelPath}: output "${output.name}" has ${classes} classes in the graph, but the card ${cardPath} says output.size ${card.output.size}; fix output.size in the card`,
    );
  }
  if (card.precision === 'fp32' && quantOps.length > 0) {
    fail(
      `model ${modelPath} contains quantized operators (${quantOps.join(', ')}), but the card ${cardPath} says precision "fp32"; set precision to "int8" in the card`,
    );
  }
  if (card.precision === 'int8' && quantOps.length === 0) {
    fail(`model ${modelPath} has no quantized operators, but the card ${cardPath} says precision "int8"; set precision to "fp32" or load the quantized model`);
  }
}

function resolveLabelsFile(card: ModelCard, cardPath: string, modelPath: string, modelsDir: string): string {
  const candidates = path.isAbsolute(card.labelsFile)
    ? [card.labelsFile]
    : [path.join(path.dirname(cardPath), card.labelsFile), path.join(modelsDir, card.labelsFile)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new ModelLoadError(
      `labels file "${card.labelsFile}" named by the card ${cardPath} was not found (looked for ${candidates.join(' and ')}); put it next to the card or fix labelsFile`,
      modelPath,
      cardPath,
    );
  }
  return found;
}
