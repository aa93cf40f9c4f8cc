// Softmax over logits and the k best classes with their labels.
import { z } from 'zod';

/** One of the k best classes as results carry it (part of the result payload schema). */
export const TopClassSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  label: z.string(),
  score: z.number().min(0).max(1),
});
export type TopClass = z.infer<typeof TopClassSchema>;

/** Numerically stable softmax (subtract the max) in float64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** The k highest-scoring classes, best first; ties keep the lower index first (deterministic). */
export function topK(logits: ArrayLike<number>, k: number, labels: readonly string[]): TopClass[] {
  const probs = softmax(logits);
  const order = Array.from({ length: probs.length }, (_, i) => i);
  order.sort((a, b) => (probs[b] as number) - (probs[a] as number) || a - b);
  return order.slice(0, Math.min(k, order.length)).map((index) => ({
    index,
    label: labels[index] ?? `class ${index}`,
    score: probs[index] as number,
  }));
}
