// The model card: the JSON that travels next to every .onnx file and says how to feed and read it.
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { AccuracyReportSchema } from './accuracy-report.js';

/** How an int8 model was made from its FP32 parent: written by `fieldeye quantize`, so a model's accuracy travels with it. */
export const QuantizationInfoSchema = z.strictObject({
  /** QDQ around every quantized op, except the convs listed under `winograd`. */
  format: z.literal('QDQ'),
  /** 3x3 stride-1 convs rewritten as int8 Winograd F(tile,3): float transforms around MatMulInteger (`fieldeye quantize --winograd`). */
  winograd: z.strictObject({ tile: z.number().int().min(2), convs: z.number().int().positive() }).optional(),
  /** Activations 8-bit asymmetric per tensor (uint8 = U8S8, the default; int8 = S8S8), weights int8 symmetric per output channel (zero point 0). */
  activations: z.enum(['int8', 'uint8']),
  /** The CPUs on which onnxruntime runs every Conv, Add and Gemm of this flavour as a QLinear kernel. Optional: earlier cards lack it. */
  fusedOn: z.array(z.enum(['x86-64', 'arm64'])).optional(),
  weights: z.literal('int8-per-channel-symmetric'),
  method: z.enum(['minmax', 'percentile', 'entropy']),
  /** Share of values kept by the percentile method (absent for the others). */
  percentile: z.number().gt(50).lte(100).optional(),
  firstConv: z.enum(['fp32', 'int8']),
  lastFc: z.enum(['fp32', 'int8']),
  preprocess: z.enum(['fast', 'exact']),
  calibration: z.strictObject({
    frames: z.number().int().positive(),
    /** sha256 over the calibration frames' names and bytes, in order. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Folder name only (no machine paths in cards). */
    source: z.string(),
  }),
  /** sha256 of the FP32 model that was quantized. */
  sourceModelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  accuracy: AccuracyReportSchema,
});

export type QuantizationInfo = z.infer<typeof QuantizationInfoSchema>;

const rgb = z.tuple([z.number(), z.number(), z.number()]);
const rgbPositive = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);

export const ModelInputSchema = z
  .strictObject({
    name: z.string().min(1),
    /** float32 NCHW: the pipeline normalises. uint8 NHWC: RGB bytes, the graph casts, transposes and normalises (`fieldeye model fuse-input`). */
    dtype: z.enum(['float32', 'uint8']),
    layout: z.enum(['NCHW', 'NHWC']),
    /** [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC), C = 3; N may be -1 (dynamic batch). */
    shape: z.tuple([z.number().int(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
    /** Per-channel mean and std on the 0..1 scale, RGB order, that the pipeline applies; identity when folded into the model. */
    mean: rgb,
    std: rgbPositive,
    /** The mean/std (0..1 scale) the graph itself applies to uint8 input; present exactly when dtype is uint8. */
    normalisedInGraph: z.strictObject({ mean: rgb, std: rgbPositive }).optional(),
    /** Resize shorter side to this before the centre crop (torchvision's Resize(256)). */
    resizeShorterPx: z.number().int().positive(),
  })
  .superRefine((input, ctx) => {
    const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    // Only the two combinations the pipeline can feed exist: float tensors it normalised, or the crop's bytes as they are.
    if (input.dtype === 'float32' && input.layout !== 'NCHW') issue(['layout'], 'a float32 input must be NCHW');
    if (input.dtype === 'uint8' && input.layout !== 'NHWC') issue(['layout'], 'a uint8 input must be NHWC (RGB bytes, as cropped)');
    const channelAxis = input.layout === 'NCHW' ? 1 : 3;
    if (input.shape[channelAxis] !== 3)
      issue(['shape', channelAxis], `expected 3 (RGB) channels at axis ${channelAxis} of a ${input.layout} shape, received ${input.shape[channelAxis]}`);
    if (input.dtype === 'uint8') {
      if (!input.normalisedInGraph) issue(['normalisedInGraph'], 'required for a uint8 input: the mean/std the graph applies');
      if (input.mean.some((m) => m !== 0) || input.std.some((v) => v !== 1))
        issue(['mean'], 'a uint8 input is normalised in the graph: mean must be [0, 0, 0] and std [1, 1, 1]');
    } else if (input.normalisedInGraph) {
      issue(['normalisedInGraph'], 'only a uint8 input is normalised in the graph');
    }
  });

export type ModelInput = z.infer<typeof ModelInputSchema>;

/** Height and width of one input image, whichever layout the card declares. */
export function inputImageSize(input: Pick<ModelInput, 'layout' | 'shape'>): { heightPx: number; widthPx: number } {
  return input.layout === 'NCHW' ? { heightPx: input.shape[2], widthPx: input.shape[3] } : { heightPx: input.shape[1], widthPx: input.shape[2] };
}

/** A confusion matrix: rows are true classes, columns predicted ones, in the labels file's order. */
const ConfusionSchema = z.array(z.array(z.number().int().nonnegative()));

/** How a classifier head was fitted on frozen backbone features: written by `fieldeye train-head`, so the head's accuracy travels with the model. */
export const HeadInfoSchema = z.strictObject({
  method: z.literal('multinomial-logistic-regression'),
  /** The labels in output order (also in labelsFile), so the confusion matrix reads on its own. */
  classes: z.array(z.string().min(1)).min(2),
  /** sha256 of the backbone model whose head was replaced. */
  backboneSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The pooled feature tensor the head reads, and its width. */
  featureTensor: z.string().min(1),
  features: z.number().int().positive(),
  /** L2 penalty on the standardised-feature weights. */
  l2: z.number().positive(),
  /** Seed of the stratified hold-out split. */
  seed: z.number().int().nonnegative(),
  /** Share of each class's frames held out. */
  holdout: z.number().gte(0).lt(1),
  preprocess: z.enum(['fast', 'exact']),
  data: z.strictObject({
    kind: z.enum(['folder', 'flight']),
    /** Folder name only (no machine paths in cards). */
    source: z.string(),
    frames: z.number().int().positive(),
    /** sha256 over the frames' names and bytes, in order. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  trainFrames: z.number().int().positive(),
  optimiser: z.strictObject({ name: z.literal('L-BFGS'), iterations: z.number().int().nonnegative(), converged: z.boolean(), loss: z.number() }),
  /** Training-set accuracy, for comparison with the held-out figure. */
  trainAccuracy: z.number().min(0).max(1),
  /** Null when --holdout 0 left nothing to measure on. */
  heldOut: z.strictObject({ frames: z.number().int().positive(), accuracy: z.number().min(0).max(1), confusion: ConfusionSchema }).nullable(),
});

export type HeadInfo = z.infer<typeof HeadInfoSchema>;

export const ModelCardSchema = z.strictObject({
  cardVersion: z.literal(1),
  name: z.string().min(1),
  architecture: z.string().min(1),
  input: ModelInputSchema,
  output: z.strictObject({
    name: z.string().min(1),
    /** Number of classes; must equal the label count. */
    size: z.number().int().positive(),
  }),
  /** Labels file, relative to the card's folder (or the bundled models/ folder). */
  labelsFile: z.string().min(1),
  precision: z.enum(['fp32', 'int8']),
  /** sha256 of the .onnx file, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  parameters: z.number().int().nonnegative().optional(),
  /** Present on models written by `fieldeye quantize`. */
  quantization: QuantizationInfoSchema.optional(),
  /** Present on models written by `fieldeye train-head` (and kept by `fieldeye quantize`). */
  head: HeadInfoSchema.optional(),
  provenance: z.string(),
  createdAt: z.string(),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

/** The card that travels with a model file: x.onnx -> x.card.json. */
export function cardPathFor(modelPath: string): string {
  return modelPath.endsWith('.onnx') ? `${modelPath.slice(0, -'.onnx'.length)}.card.json` : `${modelPath}.card.json`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
