// Turns a centre crop (HWC RGB bytes) into the model's float32 NCHW tensor exactly as torchvision does.
import type { Normalisation } from './preprocess-types.js';

// torchvision computes ToTensor + Normalize in float32, one rounding per step:
//   x = f32(byte) / 255;  x = x - f32(mean);  x = x / f32(std)
// Each step below is done in double and rounded once with Math.fround. For a single +, - or / of two
// float32 operands that gives the correctly rounded float32 result (double has more than 2*24+2 bits),
// so the table equals torchvision's values bit for bit (checked against the golden manifest).
// Only 3*256 distinct values exist, so they are computed once per normalisation and looked up.

const tables = new Map<string, Float32Array>();

/** float32 value of every byte 0..255 for channel c at index c*256 + byte. */
export function normalisationTable(norm: Normalisation): Float32Array {
  const key = `${norm.mean.join(',')}|${norm.std.join(',')}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(norm.mean[c] ?? 0);
    const std = Math.fround(norm.std[c] ?? 1);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(v / 255);
      table[c * 256 + v] = Math.fround(Math.fround(x - mean) / std);
    }
  }
  tables.set(key, table);
  return table;
}

/** Normalises an HWC RGB crop of cropPx x cropPx into a new float32 [1,3,cropPx,cropPx] tensor. */
export function normaliseToNchw(crop: Uint8Array, cropPx: number, norm: Normalisation): Float32Array {
  const plane = cropPx * cropPx;
  if (crop.length !== plane * 3) {
    throw new RangeError(`normaliseToNchw: crop has ${crop.length} bytes, expected ${plane * 3} for ${cropPx}x${cropPx} RGB`);
  }
  const table = normalisationTable(norm);
  const out = new Float32Array(plane * 3);
  for (let i = 0, s = 0; i < plane; i++, s += 3) {
    out[i] = table[crop[s]!]!;
    out[plane + i] = table[256 + crop[s + 1]!]!;
    out[2 * plane + i] = table[512 + crop[s + 2]!]!;
  }
  return out;
}
