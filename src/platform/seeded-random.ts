// Seeded random numbers that are bit-identical on every machine, for byte-reproducible synthetic models.
//
// Algorithms (all integer ops via Math.imul and shifts, all float ops +,-,*,/ and Math.sqrt, which
// IEEE 754 rounds exactly; no Math.random, Math.log, Math.sin or Math.exp, whose last bits differ
// between platforms and engines):
// - stream seeding: FNV-1a 32 of the stream name, mixed with the seed by MurmurHash3's fmix32 in a
//   SplitMix-style counter (increment 0x9e3779b9) to fill the generator state;
// - generator: xoshiro128** 1.1 (Blackman & Vigna), 32-bit output;
// - uniform: output / 2^32, in [0, 1);
// - normal: Marsaglia's polar method with a natural log evaluated by the series
//   ln(m) = 2 atanh((m-1)/(m+1)) on the mantissa plus e*ln2, to a fixed number of terms.

const TWO_POW_32 = 4294967296;
const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;
const SQRT1_2 = 0.7071067811865476;

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// 1/(2k+1) for the atanh series, k = 0..11 (computed once; division is exact-rounded, so portable).
const ATANH_COEFFS = Array.from({ length: 12 }, (_, k) => 1 / (2 * k + 1));
const C0 = ATANH_COEFFS[0] ?? 1;
const C1 = ATANH_COEFFS[1] ?? 0;
const C2 = ATANH_COEFFS[2] ?? 0;
const C3 = ATANH_COEFFS[3] ?? 0;
const C4 = ATANH_COEFFS[4] ?? 0;
const C5 = ATANH_COEFFS[5] ?? 0;
const C6 = ATANH_COEFFS[6] ?? 0;
const C7 = ATANH_COEFFS[7] ?? 0;
const C8 = ATANH_COEFFS[8] ?? 0;
const C9 = ATANH_COEFFS[9] ?? 0;
const C10 = ATANH_COEFFS[10] ?? 0;
const C11 = ATANH_COEFFS[11] ?? 0;

/**
 * Natural logarithm from basic IEEE operations only, so it gives the same bits everywhere.
 * Valid for finite x > 0; relative error about 1e-16.
 */
export function deterministicLn(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new Error(`deterministicLn: expected a finite positive number, received ${x}`);
  // Scale by powers of two (exact) into [1/sqrt2, sqrt2]; the polar method's inputs lie in (0, 1),
  // where this takes one or two steps on average.
  let m = x;
  let e = 0;
  while (m > TWO_POW_32) {
    m /= TWO_POW_32;
    e += 32;
  }
  while (m < 1 / TWO_POW_32) {
    m *= TWO_POW_32;
    e -= 32;
  }
  while (m > SQRT2) {
    m /= 2;
    e += 1;
  }
  while (m < SQRT1_2) {
    m *= 2;
    e -= 1;
  }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  // |s| <= 0.1716, so z <= 0.0295 and 12 terms take the series error below 1e-18.
  const poly = C0 + z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * (C6 + z * (C7 + z * (C8 + z * (C9 + z * (C10 + z * C11))))))))));
  return e * LN2 + 2 * s * poly;
}

/** One independent, named stream of random numbers (e.g. one per weight tensor). */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /**
   * @param seed unsigned 32-bit integer
   * @param stream a name that selects an independent stream under the same seed, so adding or
   *   reordering tensors does not change the numbers other tensors get
   */
  constructor(seed: number, stream = '') {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`seed: expected an integer between 0 and 4294967295, received ${seed}`);
    }
    let counter = (fmix32(seed ^ 0x5bd1e995) ^ fnv1a32(stream)) >>> 0;
    const next = (): number => {
      counter = (counter + 0x9e3779b9) >>> 0;
      return fmix32(counter);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro must not start from all zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Marsaglia polar); draws come in pairs, the second is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * deterministicLn(s)) / s);
      this.spareNormal = v * f;
      return u * f;
    }
  }

  /**
   * Fill with N(0, std²), rounded to float32. Draws exactly the numbers repeated normal() calls
   * would; the generator is written out on local variables because this fills ~11M weights.
   */
  fillNormal(out: Float32Array, std: number): Float32Array {
    let i = 0;
    if (this.spareNormal !== null && out.length > 0) {
      out[i++] = this.spareNormal * std;
      this.spareNormal = null;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    while (i < out.length) {
      // Two xoshiro128** steps, written out (a closure over the state is 3x slower in V8).
      let r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
      let t = (s1 << 9) >>> 0;
      s2 = (s2 ^ s0) >>> 0;
      s3 = (s3 ^ s1) >>> 0;
      s1 = (s1 ^ s2) >>> 0;
      s0 = (s0 ^ s3) >>> 0;
      s2 = (s2 ^ t) >>> 0;
      s3 = rotl(s3, 11);
      const u = 2 * (r / TWO_POW_32) - 1;
      r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
      t = (s1 << 9) >>> 0;
      s2 = (s2 ^ s0) >>> 0;
      s3 = (s3 ^ s1) >>> 0;
      s1 = (s1 ^ s2) >>> 0;
      s0 = (s0 ^ s3) >>> 0;
      s2 = (s2 ^ t) >>> 0;
      s3 = rotl(s3, 11);
      const v = 2 * (r / TWO_POW_32) - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * deterministicLn(s)) / s);
      out[i++] = u * f * std;
      if (i < out.length) out[i++] = v * f * std;
      else this.spareNormal = v * f;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** Fill with U(lo, hi), rounded to float32. */
  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.range(lo, hi);
    return out;
  }
}
