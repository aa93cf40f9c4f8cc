// Finds a classifier's final fully connected layer and its pooled-feature input, and runs the backbone over frames with that feature tensor exposed as an extra graph output.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { TensorDataType, encodeModel, type OnnxModel, type OnnxNode } from '../onnx/onnx-proto.js';
import { addGraphOutput, attrIntOf, findInitializer, producersOf } from '../onnx/onnx-graph.js';
import { createToolSession } from './calibrate.js';
import { preprocessImage } from '../vision/preprocess.js';
import type { PreprocessOptions } from '../vision/preprocess-types.js';
import type { FeatureMatrix } from './head-logistic.js';

/** Where the classifier head sits in a backbone graph. */
export interface HeadLocation {
  /** The Gemm that writes the model's output. */
  gemm: OnnxNode;
  /** The pooled, flattened feature tensor the Gemm reads ([N, features]). */
  featureTensor: string;
  features: number;
  /** Classes the current head outputs. */
  classes: number;
  outputName: string;
}

/** The backbone cannot take a new head; the message names the model, what was found and what to do. */
export class HeadLocationError extends Error {
  override readonly name = 'HeadLocationError';
}

const POOLS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean']);
const FLATTENS = new Set(['Flatten', 'Reshape', 'Squeeze']);

/**
 * The head of a torchvision-style classifier: output `outputName` written by a Gemm with a constant
 * 2-D weight, reading a Flatten/Reshape of a global pooling. Anything else is refused, because a new
 * head fitted on some other tensor would not be a drop-in replacement.
 */
export function locateHead(model: OnnxModel, outputName: string, modelPath: string): HeadLocation {
  const g = model.graph;
  const what = `--backbone ${modelPath}`;
  const fix =
    "train-head needs a classifier whose last layer is a fully connected Gemm on globally pooled features (GlobalAveragePool, Flatten, Gemm, as in torchvision's ResNet); export the model that way or use `fieldeye model synth`";
  const producers = producersOf(g);
  const gemm = producers.get(outputName);
  if (!gemm || gemm.opType !== 'Gemm' || (gemm.domain ?? '') !== '') {
    throw new HeadLocationError(
      `${what}: its output "${outputName}" comes from ${gemm ? `${gemm.opType} "${gemm.name}"` : 'no node'}, not from a Gemm; ${fix}`,
    );
  }
  const weight = gemm.input[1] ? findInitializer(g, gemm.input[1]) : undefined;
  if (!weight || weight.dims.length !== 2 || weight.dataType !== TensorDataType.FLOAT || attrIntOf(gemm, 'transA', 0) !== 0) {
    throw new HeadLocationError(`${what}: the final Gemm "${gemm.name}" has no constant float32 2-D weight (or transposes its input); ${fix}`);
  }
  const featureTensor = gemm.input[0] ?? '';
  const flatten = producers.get(featureTensor);
  const pool = flatten ? producers.get(flatten.input[0] ?? '') : undefined;
  if (!flatten || !FLATTENS.has(flatten.opType) || !pool || !POOLS.has(pool.opType)) {
    const found = flatten ? `${flatten.opType} "${flatten.name}"${pool ? ` after ${pool.opType} "${pool.name}"` : ''}` : 'a graph input';
    throw new HeadLocationError(
      `${what}: the final Gemm "${gemm.name}" reads "${featureTensor}", made by ${found}, not by a Flatten of a global pooling; ${fix}`,
    );
  }
  const transB = attrIntOf(gemm, 'transB', 0) === 1;
  const [rows, cols] = weight.dims.map(Number) as [number, number];
  return { gemm, featureTensor, features: transB ? cols : rows, classes: transB ? rows : cols, outputName };
}

export interface ExtractedFeatures {
  features: FeatureMatrix;
  /** Indices (into the given files) of the rows, in order: frames that failed to decode are left out. */
  rows: number[];
  skipped: { file: string; reason: string }[];
  ms: number;
}

/**
 * Run `model` over `files` (each through the pipeline's own preprocessing) and collect the head's
 * input, one float64 row per frame. A frame that does not decode is skipped and reported.
 */
export async function extractFeatures(
  model: OnnxModel,
  head: HeadLocation,
  inputName: string,
  files: readonly string[],
  preprocess: PreprocessOptions,
  onFrame?: (done: number, total: number) => void,
): Promise<ExtractedFeatures> {
  const started = performance.now();
  // The extra output goes on the caller's graph just long enough to encode it: a structured clone of a
  // ResNet-18 would hold another 47 MB at the moment onnxruntime allocates its own copy.
  const outputsBefore = model.graph.output.length;
  addGraphOutput(model.graph, head.featureTensor, TensorDataType.FLOAT);
  let session: ort.InferenceSession;
  try {
    session = await createToolSession(encodeModel(model));
  } finally {
    model.graph.output.length = outputsBefore;
  }
  const d = head.features;
  const data = new Float64Array(files.length * d);
  const rows: number[] = [];
  const skipped: { file: string; reason: string }[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const file = files[i] as string;
      let input: Float32Array;
      try {
        input = (await preprocessImage(await readFile(file), preprocess)).input;
      } catch (err) {
        skipped.push({ file, reason: (err as Error).message });
        continue;
      }
      const out = await session.run({ [inputName]: new ort.Tensor('float32', input, [1, 3, preprocess.cropPx, preprocess.cropPx]) }, [head.featureTensor]);
      const v = out[head.featureTensor]?.data;
      if (!(v instanceof Float32Array) || v.length !== d) {
        throw new Error(
          `feature extraction: onnxruntime returned ${v instanceof Float32Array ? `${v.length} values` : 'no float32 values'} for "${head.featureTensor}", expected ${d}`,
        );
      }
      const at = rows.length * d;
      for (let j = 0; j < d; j++) data[at + j] = v[j] as number;
      rows.push(i);
      onFrame?.(i + 1, files.length);
    }
  } finally {
    await session.release();
  }
  return { features: { n: rows.length, d, data: data.slice(0, rows.length * d) }, rows, skipped, ms: performance.now() - started };
}
