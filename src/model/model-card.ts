// The model card: the JSON that travels next to every .onnx file and says how to feed and read it.
import { z } from 'zod';
import { AccuracyReportSchema } from './quantize-accuracy.js';

/** How an int8 model was made from its FP32 parent: written by `fieldeye quantize`, so a model's accuracy travels with it. */
export const QuantizationInfoSchema = z.strictObject({
  format: z.literal('QDQ'),
  /** Activations 8-bit asymmetric per tensor (int8 = S8S8 for ARM, uint8 = U8S8 for x86), weights int8 symmetric per output channel (zero point 0). */
  activations: z.enum(['int8', 'uint8']),
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

export const ModelCardSchema = z.strictObject({
  cardVersion: z.literal(1),
  name: z.string().min(1),
  architecture: z.string().min(1),
  input: z.strictObject({
    name: z.string().min(1),
    dtype: z.literal('float32'),
    layout: z.literal('NCHW'),
    /** [N, C, H, W]; N may be -1 (dynamic batch). */
    shape: z.tuple([z.number().int(), z.literal(3), z.number().int().positive(), z.number().int().positive()]),
    /** Per-channel mean and std on the 0..1 scale, RGB order; identity when folded into the model. */
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    /** Resize shorter side to this before the centre crop (torchvision's Resize(256)). */
    resizeShorterPx: z.number().int().positive(),
  }),
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
  provenance: z.string(),
  createdAt: z.string(),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
