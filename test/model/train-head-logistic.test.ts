// train-head's maths: the L-BFGS logistic regression against an independent Newton solve and a closed form, the folded standardisation, the stratified split and the metrics.
import { describe, expect, it } from 'vitest';
import { featureMoments, fitLogisticRegression, foldStandardisation, predictClasses, type FeatureMatrix } from '../../src/model/head-logistic.js';
import { stratifiedSplit } from '../../src/model/head-dataset.js';
import { classificationReport, formatClassificationReport } from '../../src/model/head-metrics.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';

/** Three classes in four features with very different scales and offsets, so standardising matters. */
function smallProblem(n = 45, d = 4, k = 3): { x: FeatureMatrix; y: Int32Array } {
  const rng = new SeededRandom(7, 'train-head-test-data');
  const data = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = 100 * j + (j + 1) * 10 * (rng.normal() + (j === c ? 1.2 : 0) - (j === (c + 1) % d ? 0.6 : 0));
  }
  return { x: { n, d, data }, y };
}

/** Solve A·x = b (dense, small) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]!]);
  const size = b.length;
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < size; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= size; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const out = new Array<number>(size).fill(0);
  for (let r = size - 1; r >= 0; r--) {
    let s = m[r]![size]!;
    for (let c = r + 1; c < size; c++) s -= m[r]![c]! * out[c]!;
    out[r] = s / m[r]![r]!;
  }
  return out;
}

/**
 * Reference fit written independently of the code under test: Newton's method with the exact
 * Hessian on the standardised features, the last class's bias fixed at 0 (the biases are only
 * defined up to a shared constant), iterated until the gradient is at rounding level.
 */
function newtonReference(x: FeatureMatrix, y: Int32Array, k: number, l2: number): { w: number[][]; b: number[]; loss: number } {
  const { n, d } = x;
  const mean = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => x.data[i * d + j]!).reduce((a, v) => a + v, 0) / n);
  const std = mean.map((m, j) => Math.sqrt(Array.from({ length: n }, (_, i) => (x.data[i * d + j]! - m) ** 2).reduce((a, v) => a + v, 0) / n));
  const z = Array.from({ length: n }, (_, i) => [...Array.from({ length: d }, (_, j) => (x.data[i * d + j]! - mean[j]!) / std[j]!), 1]);
  const p = k * d + (k - 1);
  const idx = (c: number, j: number): number => (j < d ? c * d + j : c < k - 1 ? k * d + c : -1);
  let theta = new Array<number>(p).fill(0);
  const evaluate = (t: number[]) => {
    let loss = 0;
    const g = new Array<number>(p).fill(0);
    const h = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: k }, (_, c) => z[i]!.reduce((a, v, j) => a + (idx(c, j) >= 0 ? t[idx(c, j)]! : 0) * v, 0));
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const s = e.reduce((a, v) => a + v, 0);
      const pr = e.map((v) => v / s);
      loss += Math.log(s) + m - logits[y[i]!]!;
      for (let c = 0; c < k; c++) {
        for (let j = 0; j <= d; j++) {
          const a = idx(c, j);
          if (a < 0) continue;
          g[a]! += ((pr[c]! - (c === y[i] ? 1 : 0)) * z[i]![j]!) / n;
          for (let c2 = 0; c2 < k; c2++) {
            for (let j2 = 0; j2 <= d; j2++) {
              const b = idx(c2, j2);
              if (b < 0) continue;
              h[a]![b]! += (((c === c2 ? pr[c]! : 0) - pr[c]! * pr[c2]!) * z[i]![j]! * z[i]![j2]!) / n;
            }
          }
        }
      }
    }
    loss /= n;
    for (let q = 0; q < k * d; q++) {
      loss += 0.5 * l2 * t[q]! ** 2;
      g[q]! += l2 * t[q]!;
      h[q]![q]! += l2;
    }
    return { loss, g, h };
  };
  for (let iter = 0; iter < 100; iter++) {
    const { loss, g, h } = evaluate(theta);
    if (Math.max(...g.map(Math.abs)) < 1e-14) break;
    const step = solve(h, g);
    let t = 1;
    let next = theta.map((v, q) => v - t * step[q]!);
    while (evaluate(next).loss > loss && t > 1e-12) {
      t /= 2;
      next = theta.map((v, q) => v - t * step[q]!);
    }
    theta = next;
  }
  return {
    w: Array.from({ length: k }, (_, c) => theta.slice(c * d, (c + 1) * d)),
    b: [...theta.slice(k * d), 0],
    loss: evaluate(theta).loss,
  };
}

const centred = (v: ArrayLike<number>): number[] => {
  const a = Array.from(v);
  const m = a.reduce((s, x) => s + x, 0) / a.length;
  return a.map((x) => x - m);
};

describe('multinomial logistic regression (L-BFGS)', () => {
  it('reaches the optimum an exact-Hessian Newton solve finds, to 1e-8', () => {
    const { x, y } = smallProblem();
    const l2 = 0.05;
    const ref = newtonReference(x, y, 3, l2);
    const fit = fitLogisticRegression(x, y, 3, { l2, gradientTolerance: 1e-11 });
    expect(fit.converged).toBe(true);
    expect(fit.loss).toBeCloseTo(ref.loss, 12);
    for (let c = 0; c < 3; c++) for (let j = 0; j < 4; j++) expect(Math.abs(fit.standardised.weights[c * 4 + j]! - ref.w[c]![j]!)).toBeLessThan(1e-8);
    const ours = centred(fit.standardised.bias);
    centred(ref.b).forEach((b, c) => expect(Math.abs(ours[c]! - b)).toBeLessThan(1e-8));
    // The problem is not trivial: the penalty and the overlap keep the fit from being perfect.
    expect(ref.loss).toBeGreaterThan(0.1);
  });

  it('with the default tolerance, converges and lands within 1e-5 of the optimum', () => {
    const { x, y } = smallProblem();
    const ref = newtonReference(x, y, 3, 0.05);
    const fit = fitLogisticRegression(x, y, 3, { l2: 0.05 });
    expect(fit.converged).toBe(true);
    expect(fit.gradientNorm).toBeLessThanOrEqual(1e-7);
    for (let c = 0; c < 3; c++) for (let j = 0; j < 4; j++) expect(Math.abs(fit.standardised.weights[c * 4 + j]! - ref.w[c]![j]!)).toBeLessThan(1e-5);
  });

  it('closed form: features that never vary give zero weights and softmax(bias) = the class frequencies', () => {
    const n = 10;
    const x: FeatureMatrix = { n, d: 2, data: Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 5 : -2)) };
    const y = Int32Array.from([0, 0, 1, 1, 1, 2, 2, 2, 2, 2]);
    const fit = fitLogisticRegression(x, y, 3, { l2: 0.1, gradientTolerance: 1e-12 });
    expect(Array.from(fit.std)).toEqual([1, 1]);
    for (const w of fit.classifier.weights) expect(Math.abs(w)).toBeLessThan(1e-12);
    const e = Array.from(fit.classifier.bias, Math.exp);
    const s = e.reduce((a, v) => a + v, 0);
    e.map((v) => v / s).forEach((p, c) => expect(p).toBeCloseTo([0.2, 0.3, 0.5][c]!, 10));
  });

  it('the folded head gives the same logits on raw features as the fit on standardised ones', () => {
    const { x, y } = smallProblem();
    const fit = fitLogisticRegression(x, y, 3, { l2: 0.05 });
    const { mean, std } = featureMoments(x);
    expect(Array.from(fit.mean)).toEqual(Array.from(mean));
    const folded = foldStandardisation(fit.standardised, mean, std);
    expect(Array.from(folded.weights)).toEqual(Array.from(fit.classifier.weights));
    for (let i = 0; i < x.n; i++) {
      for (let c = 0; c < 3; c++) {
        let raw = fit.classifier.bias[c]!;
        let standard = fit.standardised.bias[c]!;
        for (let j = 0; j < x.d; j++) {
          raw += fit.classifier.weights[c * x.d + j]! * x.data[i * x.d + j]!;
          standard += fit.standardised.weights[c * x.d + j]! * ((x.data[i * x.d + j]! - mean[j]!) / std[j]!);
        }
        expect(raw).toBeCloseTo(standard, 9);
      }
    }
  });

  it('is deterministic: the same data gives bit-identical weights', () => {
    const { x, y } = smallProblem(60, 6, 4);
    const a = fitLogisticRegression(x, y, 4, { l2: 0.01 });
    const b = fitLogisticRegression(x, y, 4, { l2: 0.01 });
    expect(Buffer.from(b.classifier.weights.buffer).equals(Buffer.from(a.classifier.weights.buffer))).toBe(true);
    expect(Buffer.from(b.classifier.bias.buffer).equals(Buffer.from(a.classifier.bias.buffer))).toBe(true);
    expect(b.iterations).toBe(a.iterations);
  });

  it('separates separable classes, and predictions use the raw features', () => {
    const { x, y } = smallProblem(90, 4, 3);
    for (let i = 0; i < x.n; i++) x.data[i * x.d + y[i]!]! += 400 * (y[i]! + 1);
    const fit = fitLogisticRegression(x, y, 3, { l2: 0.01 });
    expect(Array.from(predictClasses(fit.classifier, x))).toEqual(Array.from(y));
  });

  it('refuses a penalty of 0, one class, or labels outside the class range', () => {
    const { x, y } = smallProblem();
    expect(() => fitLogisticRegression(x, y, 3, { l2: 0 })).toThrow('l2: expected a number above 0, received 0');
    expect(() => fitLogisticRegression(x, y, 1, { l2: 1 })).toThrow('classes: expected an integer of at least 2');
    expect(() => fitLogisticRegression(x, y, 2, { l2: 1 })).toThrow('labels: 2 is outside 0..1');
  });
});

describe('stratified hold-out split', () => {
  const labels = Int32Array.from({ length: 53 }, (_, i) => (i < 20 ? 0 : i < 45 ? 1 : 2));

  it('holds out the share of every class, disjoint from training, covering every frame', () => {
    const { train, heldOut } = stratifiedSplit(labels, 3, 0.2, 5);
    expect([...train, ...heldOut].sort((a, b) => a - b)).toEqual(Array.from({ length: 53 }, (_, i) => i));
    const count = (idx: number[], c: number): number => idx.filter((i) => labels[i] === c).length;
    expect([0, 1, 2].map((c) => count(heldOut, c))).toEqual([4, 5, 2]);
  });

  it('the same seed gives the same split, another seed another one; a class of one frame stays in training', () => {
    expect(stratifiedSplit(labels, 3, 0.2, 5)).toEqual(stratifiedSplit(labels, 3, 0.2, 5));
    expect(stratifiedSplit(labels, 3, 0.2, 6).heldOut).not.toEqual(stratifiedSplit(labels, 3, 0.2, 5).heldOut);
    const lonely = stratifiedSplit(Int32Array.from([0, 0, 0, 0, 1]), 2, 0.5, 1);
    expect(lonely.train).toContain(4);
    expect(stratifiedSplit(labels, 3, 0, 1).heldOut).toEqual([]);
    expect(() => stratifiedSplit(labels, 3, 1, 1)).toThrow('--holdout: expected a share from 0 up to (not including) 1, received 1');
  });
});

describe('classification report', () => {
  it('counts the confusion matrix and derives precision and recall from it', () => {
    const r = classificationReport(['a', 'b', 'c'], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 1]);
    expect(r.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(r.classes.map((c) => [c.support, c.precision, c.recall])).toEqual([
      [3, 1, 2 / 3],
      [2, 0.5, 1],
      [1, null, 0],
    ]);
    const text = formatClassificationReport(r).join('\n');
    expect(text).toMatch(/c\s+1\s+—\s+0\.0 %/);
    expect(text).toContain('accuracy 66.7 % (4 of 6 frames)');
  });
});
