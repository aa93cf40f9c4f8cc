// Int8 quantization arithmetic shared by the quantizer: activation scale/zero point from a range, per-channel symmetric weights, int32 biases.

/** Affine int8 parameters: real = (q - zeroPoint) * scale. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

export const INT8_MIN = -128;
export const INT8_MAX = 127;

/**
 * Asymmetric int8 parameters covering [min, max] (widened to include 0, so zero padding and ReLU's
 * zeros are exact). A range starting at 0 gets zero point -128 exactly: onnxruntime then drops a
 * Relu in front of the QuantizeLinear (the clamp at -128 is the ReLU) and fuses Conv+Relu.
 */
export function activationQParams(min: number, max: number): QParams {
  const lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  // A constant-zero tensor still needs a positive scale; any tiny range represents it exactly.
  if (hi - lo < 1e-8) hi = lo + 1e-8;
  const scale = (hi - lo) / (INT8_MAX - INT8_MIN);
  const zeroPoint = lo === 0 ? INT8_MIN : Math.max(INT8_MIN, Math.min(INT8_MAX, Math.round(INT8_MIN - lo / scale)));
  return { scale: Math.fround(scale), zeroPoint };
}

export interface PerChannelWeights {
  /** int8 values, same layout as the float weights. */
  data: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
}

/**
 * Symmetric per-channel int8 weights (zero point 0, values in [-127, 127]: the symmetric range keeps
 * -128 * -128 products out of the accumulators, and the ARM fast path requires zero point 0).
 * `axis` 0 for Conv [O, I, kh, kw] and for Gemm with transB=1 ([N, K]); 1 for Gemm with transB=0.
 */
export function quantizeWeightsPerChannel(w: Float32Array, dims: readonly number[], axis: 0 | 1): PerChannelWeights {
  const channels = dims[axis] ?? 1;
  const inner = axis === 0 ? w.length / channels : 1;
  const outer = axis === 0 ? 1 : dims[0] ?? 1;
  const stride = axis === 0 ? inner : channels;
  const channelOf = (i: number): number => (axis === 0 ? Math.floor(i / inner) : i % stride);
  const absMax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(w[i] as number);
    if (a > (absMax[c] as number)) absMax[c] = a;
  }
  void outer;
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = (absMax[c] as number) > 0 ? (absMax[c] as number) / INT8_MAX : 1;
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const q = Math.round((w[i] as number) / (scales[channelOf(i)] as number));
    data[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
  }
  return { data, scales };
}

/** Bias as int32 at scale inputScale * weightScale[c] (zero point 0), the form QLinearConv and QGemm add into their accumulators. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { data: Int32Array; scales: Float32Array } {
  const data = new Int32Array(bias.length);
  const scales = new Float32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = Math.fround(inputScale * (weightScales[c] ?? 1));
    scales[c] = s;
    data[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round((bias[c] as number) / s)));
  }
  return { data, scales };
}
