// A plain-JavaScript ResNet forward pass, used to calibrate synthetic weights with results that are bit-identical on every machine.
//
// onnxruntime's kernels sum in an order that depends on the CPU (AVX2, AVX-512, NEON) and thread
// count, so statistics measured with it differ in the last bits between machines and would change
// the synthetic model's sha256. Here every sum runs in one fixed order in float64, and JavaScript
// forbids fused multiply-add, so the same inputs give the same bits everywhere. It is slow
// (~1.5 GMAC/s), which is fine for a few small calibration images.

/** A batch of feature maps, NCHW, float64. */
export interface FeatureMap {
  n: number;
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}

export function featureMap(n: number, c: number, h: number, w: number, data?: Float64Array): FeatureMap {
  const size = n * c * h * w;
  if (data && data.length !== size) throw new Error(`featureMap: [${n},${c},${h},${w}] needs ${size} values, received ${data.length}`);
  return { n, c, h, w, data: data ?? new Float64Array(size) };
}

/**
 * 2-D convolution without bias; weight is [outC, inC, k, k] (PyTorch/ONNX layout). im2col then a
 * register-blocked GEMM (2 pixels x 4 channels): dot products stay in registers, ~1.5 GMAC/s in V8.
 */
// eslint-disable-next-line max-lines-per-function -- the reference convolution kernel: nested loops kept in one place to be checked against onnxruntime
export function conv2d(x: FeatureMap, weight: Float32Array, outC: number, k: number, stride: number, pad: number): FeatureMap {
  const { n, c: inC, h, w } = x;
  const kLen = inC * k * k;
  if (weight.length !== outC * kLen) {
    throw new Error(`conv2d: weight has ${weight.length} values, expected ${outC}x${inC}x${k}x${k}`);
  }
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const pixels = oh * ow;
  const out = featureMap(n, outC, oh, ow);
  const d = out.data;
  const src = x.data;
  // Pad the weights to a multiple of 4 output channels so the inner loop needs no tail case.
  const ocPadded = Math.ceil(outC / 4) * 4;
  const wt = new Float64Array(ocPadded * kLen);
  wt.set(weight);
  // One row per output pixel (all images) holding its receptive field in (ci, ky, kx) order, the
  // weights' order.
  const rows = n * pixels;
  const col = new Float64Array(rows * kLen);
  for (let b = 0; b < n; b++) {
    const xb = b * inC * h * w;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const r = (b * pixels + oy * ow + ox) * kLen;
        for (let ci = 0; ci < inC; ci++) {
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= h) continue;
            const srcRow = xb + (ci * h + iy) * w;
            const dstRow = r + (ci * k + ky) * k;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - pad + kx;
              if (ix >= 0 && ix < w) col[dstRow + kx] = src[srcRow + ix] as number;
            }
          }
        }
      }
    }
  }
  // Tiles of pixel rows small enough to stay in cache while every block of 4 filters passes over
  // them, so the (up to 19 MB) weight matrix streams from memory once per tile, not once per pixel pair.
  const tileRows = Math.max(2, Math.min(64, Math.floor(131072 / kLen) * 2));
  const sums = new Float64Array(8);
  for (let t0 = 0; t0 < rows; t0 += tileRows) {
    const t1 = Math.min(rows, t0 + tileRows);
    for (let oc = 0; oc < outC; oc += 4) {
      const o0 = oc * kLen;
      const o1 = o0 + kLen;
      const o2 = o1 + kLen;
      const o3 = o2 + kLen;
      for (let p = t0; p < t1; p += 2) {
        const r0 = p * kLen;
        const r1 = (p + 1 < t1 ? p + 1 : p) * kLen;
        let s00 = 0,
          s01 = 0,
          s10 = 0,
          s11 = 0,
          s20 = 0,
          s21 = 0,
          s30 = 0,
          s31 = 0;
        for (let kk = 0; kk < kLen; kk++) {
          const x0 = col[r0 + kk] as number;
          const x1 = col[r1 + kk] as number;
          const v0 = wt[o0 + kk] as number;
          const v1 = wt[o1 + kk] as number;
          const v2 = wt[o2 + kk] as number;
          const v3 = wt[o3 + kk] as number;
          s00 += v0 * x0;
          s01 += v0 * x1;
          s10 += v1 * x0;
          s11 += v1 * x1;
          s20 += v2 * x0;
          s21 += v2 * x1;
          s30 += v3 * x0;
          s31 += v3 * x1;
        }
        sums[0] = s00;
        sums[1] = s10;
        sums[2] = s20;
        sums[3] = s30;
        sums[4] = s01;
        sums[5] = s11;
        sums[6] = s21;
        sums[7] = s31;
        for (let q = 0; q < 2 && p + q < t1; q++) {
          const row = p + q;
          const b = Math.floor(row / pixels);
          const pix = row - b * pixels;
          for (let j = 0; j < 4 && oc + j < outC; j++) d[(b * outC + oc + j) * pixels + pix] = sums[q * 4 + j] as number;
        }
      }
    }
  }
  return out;
}

/** Per-channel mean and (biased) variance over batch and space, as BatchNorm's statistics. */
export function channelStats(x: FeatureMap): { mean: Float64Array; variance: Float64Array } {
  const { n, c, h, w, data } = x;
  const plane = h * w;
  const count = n * plane;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) s += data[off + i] as number;
    }
    const m = s / count;
    // Two-pass variance: no catastrophic cancellation for channels with a large mean.
    let ss = 0;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) {
        const d = (data[off + i] as number) - m;
        ss += d * d;
      }
    }
    mean[ch] = m;
    variance[ch] = ss / count;
  }
  return { mean, variance };
}

/** Inference-mode BatchNormalization: y = gamma * (x - mean) / sqrt(var + eps) + beta. */
export function batchNorm(x: FeatureMap, gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number): FeatureMap {
  const { n, c, h, w, data } = x;
  const plane = h * w;
  const out = featureMap(n, c, h, w);
  for (let ch = 0; ch < c; ch++) {
    const scale = (gamma[ch] as number) / Math.sqrt((variance[ch] as number) + eps);
    const shift = (beta[ch] as number) - (mean[ch] as number) * scale;
    for (let b = 0; b < n; b++) {
      const off = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) out.data[off + i] = (data[off + i] as number) * scale + shift;
    }
  }
  return out;
}

export function relu(x: FeatureMap): FeatureMap {
  const out = featureMap(x.n, x.c, x.h, x.w);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i] as number;
    out.data[i] = v > 0 ? v : 0;
  }
  return out;
}

export function add(a: FeatureMap, b: FeatureMap): FeatureMap {
  if (a.data.length !== b.data.length) throw new Error(`add: shapes differ ([${a.n},${a.c},${a.h},${a.w}] vs [${b.n},${b.c},${b.h},${b.w}])`);
  const out = featureMap(a.n, a.c, a.h, a.w);
  for (let i = 0; i < a.data.length; i++) out.data[i] = (a.data[i] as number) + (b.data[i] as number);
  return out;
}

/** MaxPool 3x3, stride 2, pad 1 (padding never wins, as in PyTorch/ONNX). */
export function maxPool3s2(x: FeatureMap): FeatureMap {
  const { n, c, h, w, data } = x;
  const oh = Math.floor((h + 2 - 3) / 2) + 1;
  const ow = Math.floor((w + 2 - 3) / 2) + 1;
  const out = featureMap(n, c, oh, ow);
  for (let p = 0; p < n * c; p++) {
    const src = p * h * w;
    const dst = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy * 2 - 1 + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox * 2 - 1 + kx;
            if (ix < 0 || ix >= w) continue;
            const v = data[src + iy * w + ix] as number;
            if (v > m) m = v;
          }
        }
        out.data[dst + oy * ow + ox] = m;
      }
    }
  }
  return out;
}

/** Global average pool to [N, C] (returned as a [N, C, 1, 1] map). */
export function globalAveragePool(x: FeatureMap): FeatureMap {
  const { n, c, h, w, data } = x;
  const plane = h * w;
  const out = featureMap(n, c, 1, 1);
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += data[p * plane + i] as number;
    out.data[p] = s / plane;
  }
  return out;
}
