// Multinomial logistic regression for train-head: standardised features, L2 on the weights, fitted by full-batch L-BFGS in float64, deterministic.

/** Row-major samples: `n` rows of `d` features. */
export interface FeatureMatrix {
  n: number;
  d: number;
  data: Float64Array;
}

export interface LogisticFitOptions {
  /** L2 penalty λ on the weights of the standardised features (not on the biases): loss = mean cross-entropy + λ/2·‖W‖². */
  l2: number;
  /** Stop when the largest gradient component is at most this. */
  gradientTolerance?: number;
  maxIterations?: number;
  /** L-BFGS memory (correction pairs kept). */
  history?: number;
}

/** A linear classifier on raw (not standardised) features: logits = weights · x + bias. */
export interface LinearClassifier {
  classes: number;
  features: number;
  /** [classes × features], row-major. */
  weights: Float64Array;
  bias: Float64Array;
}

export interface LogisticFit {
  /** The fitted head with the standardisation folded in: what goes into the ONNX Gemm. */
  classifier: LinearClassifier;
  /** The fit in the standardised space (what the optimiser solved for). */
  standardised: LinearClassifier;
  mean: Float64Array;
  /** Per-feature std used to standardise (1 where a feature never varies). */
  std: Float64Array;
  iterations: number;
  converged: boolean;
  /** Objective at the solution (mean cross-entropy plus the penalty). */
  loss: number;
  /** Largest gradient component at the solution. */
  gradientNorm: number;
}

export const DEFAULT_GRADIENT_TOLERANCE = 1e-7;
export const DEFAULT_MAX_ITERATIONS = 2000;

/** Per-feature mean and population std over the rows; a constant feature gets std 1, so it standardises to 0 instead of dividing by 0. */
export function featureMoments(x: FeatureMatrix): { mean: Float64Array; std: Float64Array } {
  const { n, d, data } = x;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (data[i * d + j] as number);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = (data[i * d + j] as number) - (mean[j] as number);
      std[j] = (std[j] as number) + c * c;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt((std[j] as number) / n);
    // Relative floor: float32 features that never change still differ in the last bits.
    std[j] = s > 1e-9 * Math.max(1, Math.abs(mean[j] as number)) ? s : 1;
  }
  return { mean, std };
}

function standardise(x: FeatureMatrix, mean: Float64Array, std: Float64Array): Float64Array {
  const { n, d, data } = x;
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = ((data[i * d + j] as number) - (mean[j] as number)) / (std[j] as number);
  return z;
}

/**
 * Objective and gradient at θ = [W (K×d, row-major), b (K)]: mean softmax cross-entropy plus λ/2·‖W‖².
 * Writes the gradient into `grad` and returns the objective.
 */
function objective(theta: Float64Array, z: Float64Array, n: number, d: number, y: Int32Array, k: number, l2: number, grad: Float64Array): number {
  grad.fill(0);
  const logits = new Float64Array(k);
  const wSize = k * d;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = theta[wSize + c] as number;
      const w = c * d;
      for (let j = 0; j < d; j++) s += (theta[w + j] as number) * (z[row + j] as number);
      logits[c] = s;
      if (s > max) max = s;
    }
    const label = y[i] as number;
    const trueShifted = (logits[label] as number) - max;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp((logits[c] as number) - max);
      logits[c] = e;
      sum += e;
    }
    // log-sum-exp minus the true class's logit, with the max shifted out for stability.
    loss += Math.log(sum) - trueShifted;
    for (let c = 0; c < k; c++) {
      const r = ((logits[c] as number) / sum - (c === label ? 1 : 0)) / n;
      if (r === 0) continue;
      const w = c * d;
      for (let j = 0; j < d; j++) grad[w + j] = (grad[w + j] as number) + r * (z[row + j] as number);
      grad[wSize + c] = (grad[wSize + c] as number) + r;
    }
  }
  loss /= n;
  let penalty = 0;
  for (let q = 0; q < wSize; q++) {
    const w = theta[q] as number;
    penalty += w * w;
    grad[q] = (grad[q] as number) + l2 * w;
  }
  return loss + 0.5 * l2 * penalty;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/**
 * Fit `classes`-way multinomial logistic regression to rows `x` with labels `y` (0..classes-1).
 * Features are standardised with the training rows' mean and std; the optimum is unique (the
 * objective is strictly convex in W for λ > 0, biases up to a shared constant, which gradient
 * steps from zero never add), and the optimiser is plain arithmetic in a fixed order, so the same
 * inputs give the same head.
 */
// eslint-disable-next-line max-lines-per-function -- one numeric optimisation loop (L-BFGS-free gradient descent with line search); splitting it hides the algebra
export function fitLogisticRegression(x: FeatureMatrix, y: Int32Array, classes: number, options: LogisticFitOptions): LogisticFit {
  const { n, d } = x;
  if (!(options.l2 > 0 && Number.isFinite(options.l2))) throw new RangeError(`l2: expected a number above 0, received ${options.l2}`);
  if (!Number.isInteger(classes) || classes < 2) throw new RangeError(`classes: expected an integer of at least 2, received ${classes}`);
  if (x.data.length !== n * d) throw new RangeError(`features: ${n} rows of ${d} need ${n * d} values, received ${x.data.length}`);
  if (y.length !== n) throw new RangeError(`labels: expected ${n}, received ${y.length}`);
  for (const label of y) if (!(label >= 0 && label < classes)) throw new RangeError(`labels: ${label} is outside 0..${classes - 1}`);
  const tolerance = options.gradientTolerance ?? DEFAULT_GRADIENT_TOLERANCE;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const memory = options.history ?? 10;

  const { mean, std } = featureMoments(x);
  const z = standardise(x, mean, std);
  const size = classes * (d + 1);
  const f = (theta: Float64Array, grad: Float64Array): number => objective(theta, z, n, d, y, classes, options.l2, grad);

  let theta = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = f(theta, grad);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const alpha = new Float64Array(memory);
  let iterations = 0;
  let converged = maxAbs(grad) <= tolerance;

  while (!converged && iterations < maxIterations) {
    // Two-loop recursion: direction = -H·grad with H the L-BFGS inverse-Hessian estimate.
    const dir = Float64Array.from(grad, (g) => -g);
    for (let m = sList.length - 1; m >= 0; m--) {
      const a = (rhoList[m] as number) * dot(sList[m] as Float64Array, dir);
      alpha[m] = a;
      const ym = yList[m] as Float64Array;
      for (let q = 0; q < size; q++) dir[q] = (dir[q] as number) - a * (ym[q] as number);
    }
    const last = sList.length - 1;
    // First step: no curvature known yet, so scale it to a unit move.
    const gamma =
      last >= 0
        ? dot(sList[last] as Float64Array, yList[last] as Float64Array) / dot(yList[last] as Float64Array, yList[last] as Float64Array)
        : 1 / Math.max(Math.sqrt(dot(grad, grad)), 1e-300);
    for (let q = 0; q < size; q++) dir[q] = (dir[q] as number) * gamma;
    for (let m = 0; m < sList.length; m++) {
      const b = (rhoList[m] as number) * dot(yList[m] as Float64Array, dir);
      const sm = sList[m] as Float64Array;
      const a = alpha[m] as number;
      for (let q = 0; q < size; q++) dir[q] = (dir[q] as number) + (a - b) * (sm[q] as number);
    }
    let slope = dot(grad, dir);
    if (!(slope < 0)) {
      // The estimate lost positive definiteness (rounding): restart from steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let q = 0; q < size; q++) dir[q] = -(grad[q] as number);
      slope = -dot(grad, grad);
    }

    // Backtracking line search with the Armijo condition; the unit step is accepted most of the time.
    let step = 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 60; tries++) {
      for (let q = 0; q < size; q++) next[q] = (theta[q] as number) + step * (dir[q] as number);
      nextLoss = f(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    iterations++;
    if (!accepted) break; // No decrease is representable any more: the optimum up to rounding.

    const s = new Float64Array(size);
    const yy = new Float64Array(size);
    for (let q = 0; q < size; q++) {
      s[q] = (next[q] as number) - (theta[q] as number);
      yy[q] = (nextGrad[q] as number) - (grad[q] as number);
    }
    const sy = dot(s, yy);
    // Keep only pairs with positive curvature, which the convex objective gives except through rounding.
    if (sy > 1e-16 * Math.sqrt(dot(s, s) * dot(yy, yy))) {
      if (sList.length === memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
      sList.push(s);
      yList.push(yy);
      rhoList.push(1 / sy);
    }
    theta = next;
    grad = nextGrad;
    loss = nextLoss;
    converged = maxAbs(grad) <= tolerance;
  }

  const wSize = classes * d;
  const standardised: LinearClassifier = { classes, features: d, weights: theta.slice(0, wSize), bias: theta.slice(wSize) };
  return {
    classifier: foldStandardisation(standardised, mean, std),
    standardised,
    mean,
    std,
    iterations,
    converged,
    loss,
    gradientNorm: maxAbs(grad),
  };
}

/** logits = W·(x − μ)/σ + b = (W/σ)·x + (b − (W/σ)·μ): the same classifier on raw features. */
export function foldStandardisation(head: LinearClassifier, mean: Float64Array, std: Float64Array): LinearClassifier {
  const { classes, features: d } = head;
  const weights = new Float64Array(classes * d);
  const bias = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = head.bias[c] as number;
    for (let j = 0; j < d; j++) {
      const w = (head.weights[c * d + j] as number) / (std[j] as number);
      weights[c * d + j] = w;
      b -= w * (mean[j] as number);
    }
    bias[c] = b;
  }
  return { classes, features: d, weights, bias };
}

/** Index of the largest logit of each row (ties: the lower class index). */
export function predictClasses(head: LinearClassifier, x: FeatureMatrix): Int32Array {
  const { n, d, data } = x;
  if (d !== head.features) throw new RangeError(`features: the head expects ${head.features} per row, received ${d}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestLogit = -Infinity;
    for (let c = 0; c < head.classes; c++) {
      let s = head.bias[c] as number;
      for (let j = 0; j < d; j++) s += (head.weights[c * d + j] as number) * (data[i * d + j] as number);
      if (s > bestLogit) {
        bestLogit = s;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
