// Classification metrics for train-head and its evaluations: confusion matrix, per-class precision and recall, accuracy, and their text table.

export interface ClassMetrics {
  label: string;
  /** Frames whose true class this is. */
  support: number;
  /** null when the class was never predicted (precision undefined). */
  precision: number | null;
  /** null when the class has no frames. */
  recall: number | null;
}

export interface ClassificationReport {
  frames: number;
  correct: number;
  /** correct / frames; null for an empty set. */
  accuracy: number | null;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  classes: ClassMetrics[];
}

/** Metrics of `predicted` against `truth` (class indices into `labels`). */
export function classificationReport(labels: readonly string[], truth: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationReport {
  if (truth.length !== predicted.length) throw new RangeError(`metrics: ${truth.length} true labels but ${predicted.length} predictions`);
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    if (!(t >= 0 && t < k && p >= 0 && p < k)) throw new RangeError(`metrics: frame ${i} has class ${t} -> ${p}, outside 0..${k - 1}`);
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  const classes = labels.map((label, c): ClassMetrics => {
    const row = confusion[c] as number[];
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((a, r) => a + (r[c] as number), 0);
    const hits = row[c] as number;
    return { label, support, precision: predictedAs > 0 ? hits / predictedAs : null, recall: support > 0 ? hits / support : null };
  });
  return { frames: truth.length, correct, accuracy: truth.length > 0 ? correct / truth.length : null, confusion, classes };
}

function pct(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(1)} %`;
}

/** Per-class precision/recall and the confusion matrix (rows: true class, columns: predicted), as aligned text lines. */
export function formatClassificationReport(r: ClassificationReport, indent = '  '): string[] {
  const width = Math.max(5, ...r.classes.map((c) => c.label.length));
  const lines = [`${indent}${'class'.padEnd(width)}  frames  precision  recall`];
  for (const c of r.classes)
    lines.push(`${indent}${c.label.padEnd(width)}  ${String(c.support).padStart(6)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}`);
  const col = Math.max(4, ...r.confusion.flat().map((v) => String(v).length));
  lines.push(`${indent}confusion (rows true, columns predicted, in the order above):`);
  r.confusion.forEach((row, i) => lines.push(`${indent}${(r.classes[i]?.label ?? '').padEnd(width)}  ${row.map((v) => String(v).padStart(col)).join(' ')}`));
  lines.push(`${indent}accuracy ${pct(r.accuracy)} (${r.correct} of ${r.frames} frames)`);
  return lines;
}
