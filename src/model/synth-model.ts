// Synthetic seeded ResNet-18: torchvision-style initialisation, data-dependent calibration, .onnx plus card, and a cache.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelCardSchema, IMAGENET_MEAN, IMAGENET_STD, cardPathFor, sha256Hex, type ModelCard } from '../vision/model-card.js';
import { encodeModel } from '../onnx/onnx-proto.js';
import {
  BN_EPSILON,
  RESNET18_INPUT_NAME,
  RESNET18_LAYERS,
  RESNET18_NUM_CLASSES,
  RESNET18_OUTPUT_NAME,
  RESNET18_PARAMETER_COUNT,
  RESNET18_PARAMS,
  buildResnet18,
} from './resnet18-builder.js';
import { SeededRandom } from '../platform/seeded-random.js';
import { add, batchNorm, channelStats, conv2d, featureMap, globalAveragePool, maxPool3s2, relu, type FeatureMap } from './reference-forward.js';
import { syntheticBatch } from './synthetic-images.js';

/**
 * Bumped whenever the weights a seed produces change (initialisation, calibration images or
 * policy), so cached models from an older generator are rebuilt instead of reused.
 */
export const SYNTH_GENERATOR_VERSION = 1;

export interface CalibrationOptions {
  /** Synthetic images whose statistics set the BatchNorm running stats. */
  images: number;
  /** Calibration images are rendered at this size: whole scenes, a fraction of the 224 px compute. */
  sizePx: number;
  /** gamma of each block's last BN (bn2): the residual branch joins the identity at this scale, as in trained ResNets. */
  residualGamma: number;
  /** Target std of the logits over classes and calibration images (224 px photos land at ~3-5). */
  logitStd: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = {
  images: 12,
  sizePx: 96,
  residualGamma: 0.5,
  logitStd: 3,
};

/** Per-BN statistics measured during calibration (before normalisation), for reports and tests. */
export interface CalibrationReport {
  bn: { module: string; meanAbsMean: number; meanStd: number }[];
  featureMean: number;
  featureStd: number;
  logitScale: number;
  ms: number;
}

/**
 * torchvision's initialisation (`ResNet.__init__` and `nn.Linear.reset_parameters`): convs
 * kaiming_normal_(mode='fan_out', nonlinearity='relu'), BN weight 1 / bias 0 / mean 0 / var 1,
 * fc weight and bias U(-1/sqrt(512), 1/sqrt(512)). One named random stream per tensor.
 */
export function initResnet18Weights(seed: number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const p of RESNET18_PARAMS) {
    const n = p.dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const rng = new SeededRandom(seed, p.name);
    switch (p.role) {
      case 'conv-weight': {
        const [outC = 1, , kh = 1, kw = 1] = p.dims;
        rng.fillNormal(data, Math.sqrt(2 / (outC * kh * kw)));
        break;
      }
      case 'bn-weight':
      case 'bn-running-var':
        data.fill(1);
        break;
      case 'bn-bias':
      case 'bn-running-mean':
        break;
      case 'fc-weight':
      case 'fc-bias': {
        const bound = 1 / Math.sqrt(512);
        rng.fillUniform(data, -bound, bound);
        break;
      }
    }
    weights.set(p.name, data);
  }
  return weights;
}

function get(weights: Map<string, Float32Array>, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`weight "${name}" is missing`);
  return w;
}

/**
 * Make activations look like a trained network's, in place: run the network in plain JS (bit-
 * identical everywhere) on synthetic images and, layer by layer, set each BN's running mean/var to
 * the per-channel statistics of its input, so every BN output is ~N(0,1) per channel on natural-
 * looking inputs. Each block's last BN gets gamma `residualGamma`, so the residual stream grows
 * gently instead of doubling per block. Finally the fc weights lose their component along the mean
 * feature vector (so the top class depends on the image, not on an offset shared by all images),
 * get a spread of per-class norms, and are scaled to logits of std `logitStd`.
 */
// eslint-disable-next-line max-lines-per-function -- one pass of BatchNorm statistics through the reference network, layer by layer
export function calibrateResnet18(weights: Map<string, Float32Array>, seed: number, options: CalibrationOptions = DEFAULT_CALIBRATION): CalibrationReport {
  const started = performance.now();
  const batch = syntheticBatch(seed, options.images, { sizePx: options.sizePx, first: 1_000_000 });
  const tensors = new Map<string, FeatureMap>();
  tensors.set(RESNET18_INPUT_NAME, featureMap(options.images, 3, batch.size, batch.size, Float64Array.from(batch.data)));

  // Free every tensor after its last reader, so peak memory stays a few layers' worth.
  const lastUse = new Map<string, number>();
  RESNET18_LAYERS.forEach((l, i) => {
    for (const input of l.op === 'add' ? l.inputs : [l.input]) lastUse.set(input, i);
  });
  const take = (name: string): FeatureMap => {
    const t = tensors.get(name);
    if (!t) throw new Error(`calibration: tensor "${name}" was not computed`);
    return t;
  };

  const report: CalibrationReport = { bn: [], featureMean: 0, featureStd: 0, logitScale: 1, ms: 0 };
  let features: FeatureMap | null = null;
  RESNET18_LAYERS.forEach((l, i) => {
    let out: FeatureMap;
    switch (l.op) {
      case 'conv':
        out = conv2d(take(l.input), get(weights, `${l.module}.weight`), l.outC, l.kernel, l.stride, l.pad);
        break;
      case 'bn': {
        const x = take(l.input);
        const { mean, variance } = channelStats(x);
        const rm = get(weights, `${l.module}.running_mean`);
        const rv = get(weights, `${l.module}.running_var`);
        let absMean = 0;
        let std = 0;
        for (let c = 0; c < l.channels; c++) {
          rm[c] = mean[c] as number;
          // A channel that never varies on the calibration set must not divide by ~0 later.
          rv[c] = Math.max(variance[c] as number, 1e-4);
          absMean += Math.abs(mean[c] as number);
          std += Math.sqrt(variance[c] as number);
        }
        report.bn.push({ module: l.module, meanAbsMean: absMean / l.channels, meanStd: std / l.channels });
        if (/^layer\d\.\d\.bn2$/.test(l.module)) get(weights, `${l.module}.weight`).fill(options.residualGamma);
        out = batchNorm(x, get(weights, `${l.module}.weight`), get(weights, `${l.module}.bias`), rm, rv, BN_EPSILON);
        break;
      }
      case 'relu':
        out = relu(take(l.input));
        break;
      case 'maxpool':
        out = maxPool3s2(take(l.input));
        break;
      case 'add':
        out = add(take(l.inputs[0]), take(l.inputs[1]));
        break;
      case 'gap':
        out = globalAveragePool(take(l.input));
        break;
      case 'flatten':
        out = take(l.input);
        break;
      case 'fc':
        features = take(l.input);
        out = features;
        break;
    }
    tensors.set(l.output, out);
    for (const [name, idx] of lastUse) if (idx === i) tensors.delete(name);
  });
  if (!features) throw new Error('calibration: the network has no fc layer');
  const f: FeatureMap = features;

  // fc: ReLU features share a large common component (every channel positive, similar profile),
  // and a random fc turns it into a fixed per-class offset that makes one class win on every
  // image. Remove the mean-feature direction from each class's weights, then scale the weights
  // so the remaining, image-dependent logits have the target spread.
  const n = f.n;
  const inF = f.c;
  const w = get(weights, 'fc.weight');
  const mu = new Float64Array(inF);
  for (let b = 0; b < n; b++) for (let j = 0; j < inF; j++) mu[j] = (mu[j] as number) + (f.data[b * inF + j] as number) / n;
  let featSum = 0;
  let featSq = 0;
  for (const v of f.data) {
    featSum += v;
    featSq += v * v;
  }
  report.featureMean = featSum / f.data.length;
  report.featureStd = Math.sqrt(Math.max(featSq / f.data.length - report.featureMean ** 2, 0));
  let norm = 0;
  for (const v of mu) norm += v * v;
  norm = Math.sqrt(norm);
  const dir = mu.map((v) => (norm > 0 ? v / norm : 0));
  // Trained classifiers' per-class weight norms differ (roughly log-normal); that heavier upper
  // tail is what lets a top class stand clear of the runner-up. (1+a)/(1-a) ~ exp(2a) gives a
  // log-normal-like spread (sigma ~0.3) without Math.exp.
  const classRng = new SeededRandom(seed, 'fc.class-scale');
  const projected = new Float64Array(w.length);
  for (let k = 0; k < RESNET18_NUM_CLASSES; k++) {
    const a = Math.max(-0.5, Math.min(0.5, 0.15 * classRng.normal()));
    const classScale = (1 + a) / (1 - a);
    let along = 0;
    for (let j = 0; j < inF; j++) along += (w[k * inF + j] as number) * (dir[j] as number);
    for (let j = 0; j < inF; j++) projected[k * inF + j] = ((w[k * inF + j] as number) - along * (dir[j] as number)) * classScale;
  }
  let sq = 0;
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < RESNET18_NUM_CLASSES; k++) {
      let z = 0;
      for (let j = 0; j < inF; j++) z += (projected[k * inF + j] as number) * (f.data[b * inF + j] as number);
      sq += z * z;
    }
  }
  const spread = Math.sqrt(sq / (n * RESNET18_NUM_CLASSES));
  const scale = spread > 0 ? options.logitStd / spread : 1;
  for (let i = 0; i < w.length; i++) w[i] = (projected[i] as number) * scale;
  report.logitScale = scale;
  report.ms = performance.now() - started;
  return report;
}

export function synthProvenance(seed: number): string {
  return `synthetic seeded ResNet-18, seed ${seed}, not trained (fieldeye synth generator v${SYNTH_GENERATOR_VERSION}: torchvision init, BatchNorm statistics from synthetic images)`;
}

/** Build the seeded model's ONNX bytes (no I/O). Same seed, same bytes, on every machine. */
export function synthesizeResnet18Bytes(seed: number, calibration: CalibrationOptions = DEFAULT_CALIBRATION): { bytes: Uint8Array; report: CalibrationReport } {
  const weights = initResnet18Weights(seed);
  const report = calibrateResnet18(weights, seed, calibration);
  // No timestamps in the graph: createdAt lives in the card only, so the .onnx stays reproducible.
  const model = buildResnet18(weights, { docString: synthProvenance(seed), producerVersion: `synth-v${SYNTH_GENERATOR_VERSION}` });
  return { bytes: encodeModel(model), report };
}

/** `x.onnx` -> `x.card.json`; any other name gets `.card.json` appended. */
export function synthCard(seed: number, sha256: string, createdAt: Date = new Date()): ModelCard {
  return ModelCardSchema.parse({
    cardVersion: 1,
    name: `resnet18-synth-seed${seed}`,
    architecture: 'resnet18',
    input: {
      name: RESNET18_INPUT_NAME,
      dtype: 'float32',
      layout: 'NCHW',
      shape: [-1, 3, 224, 224],
      mean: [...IMAGENET_MEAN],
      std: [...IMAGENET_STD],
      resizeShorterPx: 256,
    },
    output: { name: RESNET18_OUTPUT_NAME, size: RESNET18_NUM_CLASSES },
    labelsFile: 'imagenet-labels.txt',
    precision: 'fp32',
    sha256,
    parameters: RESNET18_PARAMETER_COUNT,
    provenance: synthProvenance(seed),
    createdAt: createdAt.toISOString(),
  });
}

export interface SynthesizedModel {
  modelPath: string;
  cardPath: string;
  card: ModelCard;
  sha256: string;
  /** Wall time of the whole build, ms. */
  ms: number;
  report: CalibrationReport;
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  // Write-then-rename: a reader (or a concurrent builder) never sees half a file.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Write `<outPath>` (.onnx) and its card next to it. */
export async function synthesizeResnet18(options: { seed: number; outPath: string; calibration?: CalibrationOptions }): Promise<SynthesizedModel> {
  const started = performance.now();
  const { seed, outPath } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`seed: expected an integer between 0 and 4294967295, received ${seed}`);
  }
  const { bytes, report } = synthesizeResnet18Bytes(seed, options.calibration ?? DEFAULT_CALIBRATION);
  const sha256 = sha256Hex(bytes);
  const card = synthCard(seed, sha256);
  const cardPath = cardPathFor(outPath);
  await mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
  await writeAtomic(outPath, bytes);
  await writeAtomic(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  return { modelPath: outPath, cardPath, card, sha256, ms: performance.now() - started, report };
}

/** File name of the cached synthetic model for a seed (the generator version is part of it). */
export function synthModelFileName(seed: number): string {
  return `resnet18-synth-v${SYNTH_GENERATOR_VERSION}-seed${seed}.onnx`;
}

/**
 * Path of the seeded model in `dir` (e.g. models/generated/), building it only when no valid copy
 * is there: the card must parse, name this seed and generator, and its sha256 must match the file.
 */
export async function ensureSynthModel(seed: number, dir: string): Promise<string> {
  const modelPath = path.join(dir, synthModelFileName(seed));
  const cardPath = cardPathFor(modelPath);
  if (existsSync(modelPath) && existsSync(cardPath)) {
    try {
      const card = ModelCardSchema.parse(JSON.parse(await readFile(cardPath, 'utf8')));
      if (card.provenance === synthProvenance(seed) && card.sha256 === sha256Hex(await readFile(modelPath))) return modelPath;
    } catch {
      // A stale or damaged cache entry is rebuilt below.
    }
    await rm(cardPath, { force: true });
  }
  await synthesizeResnet18({ seed, outPath: modelPath });
  return modelPath;
}
