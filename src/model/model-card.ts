// The model card: the JSON that travels next to every .onnx file and says how to feed and read it.
import { z } from 'zod';

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
  provenance: z.string(),
  createdAt: z.string(),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
