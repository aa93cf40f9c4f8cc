// Pillow's antialiased bilinear resize (ImagingResample, 8 bits per channel) reimplemented for RGB, restricted to a region of the output.

// Written from the behaviour of Pillow's src/libImaging/Resample.c (Pillow 9.4 and later behave the same):
// - one separable pass per axis, horizontal first, each rounding and clipping to uint8 (the
//   intermediate image is 8-bit, which is why a single 2-D float pass would not match);
// - the triangle filter's support is scaled by the downscale factor (that is the antialiasing);
// - weights are computed in double, normalised to sum 1, then turned into fixed point with
//   PRECISION_BITS = 22 and round-half-away-from-zero; sums start at 1 << 21 and the result is
//   `sum >> 22` clipped to 0..255.
// Every output pixel depends only on its own row/column coefficients, so computing only the pixels
// of the centre crop (and only the source rows those need) gives the same bytes as resizing the
// whole image and cropping afterwards, for a fraction of the work.

const PRECISION_BITS = 22;
const ONE_HALF = 1 << (PRECISION_BITS - 1);
const BILINEAR_SUPPORT = 1;

/** Interleaved 8-bit RGB pixels, row-major, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A rectangle of the resized image, in resized-image pixels. */
export interface OutputRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Fixed-point filter taps for a run of output positions along one axis. */
export interface AxisCoefficients {
  /** Taps per output position (the stride of `weights`). */
  ksize: number;
  /** First source index for each output position. */
  start: Int32Array;
  /** Number of source pixels used by each output position. */
  count: Int32Array;
  /** Fixed-point weights, `ksize` per output position. */
  weights: Int32Array;
}

function bilinear(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpc for output positions first..first+n-1 of an
 * inSize -> outSize resize over the whole source (box 0..inSize). The arithmetic order follows
 * Pillow's so that every double rounding, and hence every fixed-point weight, is the same.
 */
export function bilinearAxisCoefficients(inSize: number, outSize: number, first: number, n: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = BILINEAR_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1 / filterscale;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * ksize);
  const w = new Float64Array(ksize);
  for (let i = 0; i < n; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = bilinear((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    const base = i * ksize;
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x]! / ww : w[x]!;
      weights[base + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { ksize, start, count, weights };
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * Resizes `src` to outWidth x outHeight the way Pillow's Image.resize(..., BILINEAR) does, but returns
 * only `region` of the result, as interleaved RGB bytes (region.width x region.height x 3).
 */
export function resizeBilinearRegion(src: RgbImage, outWidth: number, outHeight: number, region: OutputRegion): Uint8Array {
  const { width: inW, height: inH, data } = src;
  if (data.length !== inW * inH * 3) {
    throw new RangeError(`resizeBilinearRegion: source has ${data.length} bytes, expected ${inW * inH * 3} for ${inW}x${inH} RGB`);
  }
  if (region.left < 0 || region.top < 0 || region.left + region.width > outWidth || region.top + region.height > outHeight) {
    throw new RangeError(`resizeBilinearRegion: region ${JSON.stringify(region)} is outside the ${outWidth}x${outHeight} output`);
  }
  const rw = region.width;
  const rh = region.height;

  // Pillow skips a pass when that axis keeps its size; the pass would be the identity anyway
  // (weights 1 and 0), so skipping it only saves time.
  const needHorizontal = outWidth !== inW;
  const needVertical = outHeight !== inH;

  const vert = needVertical ? bilinearAxisCoefficients(inH, outHeight, region.top, rh) : undefined;
  // Source rows the vertical pass reads: the union of the crop rows' filter windows.
  let rowFirst: number;
  let rowEnd: number;
  if (vert) {
    rowFirst = vert.start[0]!;
    rowEnd = vert.start[rh - 1]! + vert.count[rh - 1]!;
  } else {
    rowFirst = region.top;
    rowEnd = region.top + rh;
  }
  const rows = rowEnd - rowFirst;
  const stride = rw * 3;

  // Horizontal pass: source rows rowFirst..rowEnd-1, output columns of the region only.
  const tmp = new Uint8Array(rows * stride);
  if (needHorizontal) {
    const hz = bilinearAxisCoefficients(inW, outWidth, region.left, rw);
    const { ksize, start, count, weights } = hz;
    for (let r = 0; r < rows; r++) {
      const srcRow = (rowFirst + r) * inW * 3;
      const dstRow = r * stride;
      for (let i = 0; i < rw; i++) {
        const n = count[i]!;
        const kBase = i * ksize;
        let p = srcRow + start[i]! * 3;
        // Int32 arithmetic throughout (|0): each product is below 2^30 and the sum below 2^31, as in
        // Pillow's int accumulators, and V8 keeps the loop in integer registers.
        let s0 = ONE_HALF;
        let s1 = ONE_HALF;
        let s2 = ONE_HALF;
        for (let t = 0; t < n; t++, p += 3) {
          const k = weights[kBase + t]!;
          s0 = (s0 + Math.imul(data[p]!, k)) | 0;
          s1 = (s1 + Math.imul(data[p + 1]!, k)) | 0;
          s2 = (s2 + Math.imul(data[p + 2]!, k)) | 0;
        }
        const d = dstRow + i * 3;
        tmp[d] = clip8(s0);
        tmp[d + 1] = clip8(s1);
        tmp[d + 2] = clip8(s2);
      }
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const from = ((rowFirst + r) * inW + region.left) * 3;
      tmp.set(data.subarray(from, from + stride), r * stride);
    }
  }

  if (!vert) return tmp;

  // Vertical pass over the intermediate rows, one output byte at a time (strided reads measured
  // faster here than accumulating whole rows).
  const out = new Uint8Array(rh * stride);
  const { ksize, start, count, weights } = vert;
  for (let j = 0; j < rh; j++) {
    const n = count[j]!;
    const kBase = j * ksize;
    const base = (start[j]! - rowFirst) * stride;
    const o = j * stride;
    for (let x = 0; x < stride; x++) {
      let acc = ONE_HALF;
      let p = base + x;
      for (let t = 0; t < n; t++, p += stride) acc = (acc + Math.imul(tmp[p]!, weights[kBase + t]!)) | 0;
      out[o + x] = clip8(acc);
    }
  }
  return out;
}
