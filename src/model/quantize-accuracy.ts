// Compares a quantized model's logits with the FP32 model's on held-out frames: SQNR, cosine, top-1 agreement, top-5 overlap, and agreement where FP32 is confident.
import type { AccuracyReport } from '../vision/accuracy-report.js';

function topIndices(v: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < v.length; i++) {
    let pos = idx.length;
    while (pos > 0 && (v[idx[pos - 1] as number] as number) < (v[i] as number)) pos--;
    if (pos < k) {
      idx.splice(pos, 0, i);
      if (idx.length > k) idx.pop();
    }
  }
  return idx;
}

/** The report for paired logits (`reference[i]` and `candidate[i]` from the same frame). */
export function compareLogits(reference: readonly Float32Array[], candidate: readonly Float32Array[], framesSha256: string, marginLogits = 1): AccuracyReport {
  if (reference.length === 0 || reference.length !== candidate.length) {
    throw new Error(`compareLogits: needs the same positive number of frames on both sides, received ${reference.length} and ${candidate.length}`);
  }
  let signal = 0;
  let noise = 0;
  let cosSum = 0;
  let top1 = 0;
  let top5 = 0;
  let confident = 0;
  let confidentAgree = 0;
  reference.forEach((r, f) => {
    const c = candidate[f] as Float32Array;
    let dot = 0;
    let rr = 0;
    let cc = 0;
    for (let i = 0; i < r.length; i++) {
      const a = r[i] as number;
      const b = c[i] as number;
      signal += a * a;
      noise += (a - b) * (a - b);
      dot += a * b;
      rr += a * a;
      cc += b * b;
    }
    cosSum += rr > 0 && cc > 0 ? dot / Math.sqrt(rr * cc) : 0;
    const rTop = topIndices(r, 5);
    const cTop = topIndices(c, 5);
    const agree = rTop[0] === cTop[0];
    if (agree) top1++;
    top5 += rTop.filter((i) => cTop.includes(i)).length / 5;
    const margin = (r[rTop[0] as number] as number) - (r[rTop[1] as number] as number);
    if (margin > marginLogits) {
      confident++;
      if (agree) confidentAgree++;
    }
  });
  const n = reference.length;
  return {
    frames: n,
    framesSha256,
    // Identical logits have no noise: cap at a finite figure so the card stays valid JSON.
    sqnrDb: noise > 0 ? Math.min(200, 10 * Math.log10(signal / noise)) : 200,
    cosine: cosSum / n,
    top1Agreement: top1 / n,
    top5Overlap: top5 / n,
    marginLogits,
    confidentFrames: confident,
    confidentTop1Agreement: confident > 0 ? confidentAgree / confident : null,
  };
}

/** A few lines for a terminal. */
export function formatAccuracyReport(r: AccuracyReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  return [
    `accuracy vs FP32 on ${r.frames} held-out frames (never used for calibration):`,
    `  logit SQNR            ${r.sqnrDb.toFixed(2)} dB`,
    `  cosine similarity     ${r.cosine.toFixed(5)}`,
    `  top-1 agreement       ${pct(r.top1Agreement)}`,
    `  top-5 overlap         ${pct(r.top5Overlap)}`,
    `  top-1 agreement, FP32 margin > ${r.marginLogits} logit: ${r.confidentTop1Agreement === null ? 'n/a' : pct(r.confidentTop1Agreement)} of ${r.confidentFrames} frames`,
  ].join('\n');
}
