// Per-tensor activation statistics for calibration (running min/max, then a fixed-range histogram) and the three range choices: min-max, percentile, entropy (KL).

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

/** Histogram resolution: fine enough that the chosen clip point moves in steps well under one int8 step. */
export const HISTOGRAM_BINS = 2048;

/**
 * One tensor's statistics over the calibration frames. Pass 1 (`observeRange`) finds min and max;
 * pass 2 (`observeHistogram`) bins every value over that fixed range, so no rebinning is ever needed.
 */
export class ActivationHistogram {
  min = Infinity;
  max = -Infinity;
  readonly counts = new Float64Array(HISTOGRAM_BINS);
  total = 0;

  observeRange(values: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
  }

  observeHistogram(values: Float32Array): void {
    const lo = this.min;
    const width = (this.max - lo) / HISTOGRAM_BINS;
    if (!(width > 0)) {
      this.counts[0] = (this.counts[0] as number) + values.length;
      this.total += values.length;
      return;
    }
    const inv = 1 / width;
    const last = HISTOGRAM_BINS - 1;
    const counts = this.counts;
    for (let i = 0; i < values.length; i++) {
      let b = ((values[i] as number) - lo) * inv;
      b = b < 0 ? 0 : b > last ? last : b | 0;
      counts[b] = (counts[b] as number) + 1;
    }
    this.total += values.length;
  }

  binWidth(): number {
    return (this.max - this.min) / HISTOGRAM_BINS;
  }

  /** The value below which `q` (0..1) of all observed values lie (upper edge of the bin reaching it). */
  quantile(q: number): number {
    const target = q * this.total;
    let acc = 0;
    for (let b = 0; b < HISTOGRAM_BINS; b++) {
      acc += this.counts[b] as number;
      if (acc >= target) return this.min + (b + 1) * this.binWidth();
    }
    return this.max;
  }
}

export interface RangeChoice {
  min: number;
  max: number;
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** Percentile method: the share of values kept inside the range, e.g. 99.99. */
  percentile: number;
}

/** The clipping range a method picks from a tensor's statistics (always containing 0). */
export function chooseRange(h: ActivationHistogram, options: RangeOptions): RangeChoice {
  if (!Number.isFinite(h.min) || !Number.isFinite(h.max)) {
    throw new Error('calibration: a tensor was never observed (no frames ran); this is a bug in the calibration loop');
  }
  const min = Math.min(h.min, 0);
  const max = Math.max(h.max, 0);
  switch (options.method) {
    case 'minmax':
      return { min, max };
    case 'percentile': {
      const tail = (100 - options.percentile) / 100;
      // A non-negative tensor (after ReLU) only has an upper tail; a signed one loses half the tail at each end.
      if (h.min >= 0) return { min: 0, max: Math.min(max, h.quantile(1 - tail)) };
      return { min: Math.max(min, Math.min(0, h.quantile(tail / 2) - h.binWidth())), max: Math.min(max, Math.max(0, h.quantile(1 - tail / 2))) };
    }
    case 'entropy': {
      const t = entropyThreshold(h);
      return h.min >= 0 ? { min: 0, max: Math.min(max, t) } : { min: Math.max(min, -t), max: Math.min(max, t) };
    }
  }
}

/** Histogram of |x| over [0, max|x|] with HISTOGRAM_BINS bins, rebuilt from the signed histogram. */
function absHistogram(h: ActivationHistogram): { counts: Float64Array; width: number } {
  const absMax = Math.max(Math.abs(h.min), Math.abs(h.max));
  const counts = new Float64Array(HISTOGRAM_BINS);
  const width = absMax / HISTOGRAM_BINS;
  if (!(width > 0)) return { counts, width: 0 };
  const srcWidth = h.binWidth();
  for (let b = 0; b < HISTOGRAM_BINS; b++) {
    const c = h.counts[b] as number;
    if (c === 0) continue;
    const centre = h.min + (b + 0.5) * srcWidth;
    const idx = Math.min(HISTOGRAM_BINS - 1, Math.floor(Math.abs(centre) / width));
    counts[idx] = (counts[idx] as number) + c;
  }
  return { counts, width };
}

/**
 * TensorRT's entropy calibration: the clip threshold T whose int8 rendering of the |x| histogram
 * loses the least information (KL divergence between the clipped reference distribution and its
 * quantized version). Levels: 255 for a non-negative tensor (its zero point sits at -128), 127 per
 * side for a signed one.
 */
export function entropyThreshold(h: ActivationHistogram): number {
  const { counts, width } = absHistogram(h);
  if (width === 0) return 0;
  // ReLU outputs are about half exact zeros, which every threshold represents exactly; left in, that
  // one bin dominates the divergence and the search clips the useful range to a third of percentile's.
  if (h.min >= 0) counts[0] = 0;
  const levels = h.min >= 0 ? 255 : 127;
  let bestKl = Infinity;
  let bestBins = HISTOGRAM_BINS;
  const ref = new Float64Array(HISTOGRAM_BINS);
  const cand = new Float64Array(HISTOGRAM_BINS);
  // Step 8 bins: the KL curve is smooth at this resolution, and it makes the search 8x cheaper.
  for (let bins = levels; bins <= HISTOGRAM_BINS; bins += 8) {
    let outliers = 0;
    for (let b = bins; b < HISTOGRAM_BINS; b++) outliers += counts[b] as number;
    for (let b = 0; b < bins; b++) ref[b] = counts[b] as number;
    ref[bins - 1] = (ref[bins - 1] as number) + outliers;
    // Quantize the first `bins` bins into `levels` groups, spreading each group's mass over its non-empty bins.
    const perLevel = bins / levels;
    for (let l = 0; l < levels; l++) {
      const start = Math.floor(l * perLevel);
      const end = l === levels - 1 ? bins : Math.floor((l + 1) * perLevel);
      let mass = 0;
      let nonEmpty = 0;
      for (let b = start; b < end; b++) {
        mass += counts[b] as number;
        if ((counts[b] as number) > 0) nonEmpty++;
      }
      const share = nonEmpty > 0 ? mass / nonEmpty : 0;
      for (let b = start; b < end; b++) cand[b] = (counts[b] as number) > 0 ? share : 0;
    }
    let refSum = 0;
    let candSum = 0;
    for (let b = 0; b < bins; b++) {
      refSum += ref[b] as number;
      candSum += cand[b] as number;
    }
    if (refSum === 0 || candSum === 0) continue;
    let kl = 0;
    for (let b = 0; b < bins; b++) {
      const p = (ref[b] as number) / refSum;
      if (p === 0) continue;
      // An empty candidate bin where the reference has mass: smooth instead of an infinite divergence.
      const q = Math.max((cand[b] as number) / candSum, 1e-12);
      kl += p * Math.log(p / q);
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestBins = bins;
    }
  }
  return bestBins * width;
}
