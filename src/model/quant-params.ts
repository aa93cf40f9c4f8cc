// Int8 quantization arithmetic shared by the quantizer: activation scale/zero point from a range, per-channel symmetric weights, int32 biases.

/**
 * Activation storage type. uint8 (U8S8) fuses into QLinear kernels everywhere: on x86-64 and on arm64 (ARMv8.0, the
 * Pi 4, runs one MLAS kernel for both flavours; U8S8 costs it +0.6 % instructions by the pi4 instrument). int8 (S8S8)
 * fuses on arm64 only: on x86, onnxruntime converts a QuantizeLinear from int8 to uint8 before fusing only when the
 * tensor has a single reader, so a ResNet's fan-out tensors (every residual block) stay float there.
 */
export type ActivationType = 'int8' | 'uint8';

/** The default: the flavour that is right on the laptop and on the drone. */
export const DEFAULT_ACTIVATIONS: ActivationType = 'uint8';

/** Where a flavour's every Conv, Add and Gemm runs as a QLinear kernel (measured: test/model/quantize.test.ts, test/platform/arm64-emulation.test.ts). */
export function fusedOn(type: ActivationType): Array<'x86-64' | 'arm64'> {
  return type === 'uint8' ? ['x86-64', 'arm64'] : ['arm64'];
}

/** Affine parameters: real = (q - zeroPoint) * scale. */
export interface QParams {
  scale: number;
  zeroPoint: number;
  type: ActivationType;
}

export const INT8_MIN = -128;
export const INT8_MAX = 127;

/**
 * Asymmetric 8-bit parameters covering [min, max] (widened to include 0, so zero padding and ReLU's
 * zeros are exact). A range starting at 0 gets the lowest zero point exactly (-128, or 0 for uint8): onnxruntime then drops a
 * Relu in front of the QuantizeLinear (the clamp at -128 is the ReLU) and fuses Conv+Relu.
 */
export function activationQParams(min: number, max: number, type: ActivationType = 'int8'): QParams {
  const qmin = type === 'int8' ? INT8_MIN : 0;
  const qmax = type === 'int8' ? INT8_MAX : 255;
  const lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  // A constant-zero tensor still needs a positive scale; any tiny range represents it exactly.
  if (hi - lo < 1e-8) hi = lo + 1e-8;
  const scale = (hi - lo) / (qmax - qmin);
  const zeroPoint = lo === 0 ? qmin : Math.max(qmin, Math.min(qmax, Math.round(qmin - lo / scale)));
  return { scale: Math.fround(scale), zeroPoint, type };
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
  const channelOf = (i: number): number => (axis === 0 ? Math.floor(i / inner) : i % channels);
  const absMax = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    const a = Math.abs(w[i] as number);
    if (a > (absMax[c] as number)) absMax[c] = a;
  }
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
