// How a quantized model compares with its float original, as its model card records it.
import { z } from 'zod';

export const AccuracyReportSchema = z.strictObject({
  /** Held-out frames compared (never the calibration frames). */
  frames: z.number().int().positive(),
  /** sha256 over the held-out frames' names and bytes. */
  framesSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** 10 log10(sum fp32^2 / sum (fp32 - int8)^2) over all logits of all frames. */
  sqnrDb: z.number(),
  /** Mean per-frame cosine similarity of the logit vectors. */
  cosine: z.number(),
  /** Share of frames whose top class is the same. */
  top1Agreement: z.number().min(0).max(1),
  /** Mean share of the FP32 top-5 classes found in the int8 top-5. */
  top5Overlap: z.number().min(0).max(1),
  /** FP32 top-1 minus top-2 logit above which a frame counts as confident. */
  marginLogits: z.number(),
  confidentFrames: z.number().int().nonnegative(),
  /** Top-1 agreement on the confident frames only (null when there are none). */
  confidentTop1Agreement: z.number().min(0).max(1).nullable(),
});

export type AccuracyReport = z.infer<typeof AccuracyReportSchema>;
