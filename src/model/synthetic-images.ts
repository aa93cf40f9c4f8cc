// Deterministic natural-looking synthetic RGB images (sky/ground scenes, occluding objects, textures) for calibrating synthetic models.
//
// Natural photos have a roughly 1/f spectrum, hard occlusion edges, smooth shading and fine
// texture; a "dead leaves" model (overlapping random shapes) over graded backgrounds with value-noise
// texture reproduces those first-order statistics well enough to set BatchNorm statistics. Only
// +,-,*,/, sqrt, comparisons and integer hashing are used, so every machine draws the same pixels.
import { SeededRandom } from '../platform/seeded-random.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../vision/model-card.js';

type Rgb = [number, number, number];

// Colour families of outdoor and everyday scenes, 0..1: vegetation, soil, sky, stone, man-made.
const PALETTE: readonly Rgb[] = [
  [0.25, 0.45, 0.15],
  [0.4, 0.55, 0.2],
  [0.15, 0.3, 0.1],
  [0.55, 0.6, 0.3],
  [0.45, 0.33, 0.2],
  [0.35, 0.25, 0.15],
  [0.6, 0.5, 0.35],
  [0.55, 0.7, 0.9],
  [0.8, 0.85, 0.9],
  [0.5, 0.5, 0.5],
  [0.3, 0.3, 0.32],
  [0.85, 0.8, 0.7],
  [0.75, 0.2, 0.15],
  [0.9, 0.75, 0.2],
  [0.2, 0.3, 0.6],
  [0.1, 0.1, 0.1],
];

function hash2(x: number, y: number, salt: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Smooth value noise in [0, 1): random lattice values, smoothstep-interpolated. */
function valueNoise(x: number, y: number, salt: number): number {
  const xi = Math.floor(x);
  const yi = Math.floor(y);
  const fx = x - xi;
  const fy = y - yi;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = hash2(xi, yi, salt);
  const b = hash2(xi + 1, yi, salt);
  const c = hash2(xi, yi + 1, salt);
  const d = hash2(xi + 1, yi + 1, salt);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/** Sum of octaves, each half the amplitude and twice the frequency (approximately 1/f). */
function fractalNoise(x: number, y: number, octaves: number, salt: number): number {
  let sum = 0;
  let amp = 0.5;
  let freq = 1;
  for (let o = 0; o < octaves; o++) {
    sum += amp * (valueNoise(x * freq, y * freq, salt + o * 7919) - 0.5);
    amp *= 0.5;
    freq *= 2;
  }
  return sum;
}

/** Triangle wave in [-1, 1] with period 1: stripes (crop rows, bark, fabric) without sin. */
function triangle(t: number): number {
  const f = t - Math.floor(t);
  return 4 * Math.abs(f - 0.5) - 1;
}

function jitterColour(rng: SeededRandom, base: Rgb, amount: number): Rgb {
  return [base[0] + rng.range(-amount, amount), base[1] + rng.range(-amount, amount), base[2] + rng.range(-amount, amount)];
}

function pick(rng: SeededRandom): Rgb {
  return PALETTE[rng.int(PALETTE.length)] ?? [0.5, 0.5, 0.5];
}

/**
 * One synthetic photo-like image, interleaved RGB bytes (HWC). The same (seed, index, size) gives
 * the same bytes on every machine.
 */
// eslint-disable-next-line max-lines-per-function -- one procedural image recipe, step by step
export function syntheticImage(seed: number, index: number, width = 224, height = 224): Uint8Array {
  const rng = new SeededRandom(seed, `synthetic-image/${index}`);
  const salt = rng.nextUint32() | 0;
  const img = new Float64Array(width * height * 3);
  const scale = Math.max(width, height);

  // Background: a horizon splitting a sky-like and a ground-like gradient, or one tilted gradient.
  const horizon = rng.range(-0.2, 0.7);
  const top = rng.uniform() < 0.5 ? jitterColour(rng, PALETTE[7 + rng.int(3)] ?? [0.6, 0.7, 0.9], 0.1) : jitterColour(rng, pick(rng), 0.15);
  const ground = jitterColour(rng, pick(rng), 0.15);
  const groundFar = jitterColour(rng, ground, 0.1);
  const rowFreq = rng.range(4, 30);
  const rowAmp = rng.uniform() < 0.5 ? rng.range(0.02, 0.12) : 0;
  const rowSlant = rng.range(-1, 1);
  const texFreq = rng.range(3, 12);
  const texAmp = rng.range(0.05, 0.3);
  for (let y = 0; y < height; y++) {
    const v = y / scale;
    for (let x = 0; x < width; x++) {
      const u = x / scale;
      const o = (y * width + x) * 3;
      let r: number;
      let g: number;
      let b: number;
      if (v < horizon) {
        const t = v / (horizon > 0 ? horizon : 1);
        r = top[0] * (1 - 0.3 * t) + 0.3 * t * 0.9;
        g = top[1] * (1 - 0.3 * t) + 0.3 * t * 0.9;
        b = top[2] * (1 - 0.3 * t) + 0.3 * t * 0.9;
      } else {
        const t = (v - horizon) / (1.2 - horizon);
        r = groundFar[0] + (ground[0] - groundFar[0]) * t;
        g = groundFar[1] + (ground[1] - groundFar[1]) * t;
        b = groundFar[2] + (ground[2] - groundFar[2]) * t;
        const tex = texAmp * fractalNoise(u * texFreq, v * texFreq, 5, salt) + rowAmp * triangle((u + rowSlant * v) * rowFreq);
        r += tex;
        g += tex * 1.1;
        b += tex * 0.8;
      }
      img[o] = r;
      img[o + 1] = g;
      img[o + 2] = b;
    }
  }

  // Dead leaves: opaque ellipses and rectangles, many small and few large, painted back to front.
  const shapes = 8 + rng.int(40);
  for (let s = 0; s < shapes; s++) {
    const u1 = rng.uniform();
    const radius = (0.02 + 0.35 * u1 * u1 * u1) * scale;
    const aspect = rng.range(0.3, 1);
    const cx = rng.range(-0.1, 1.1) * width;
    const cy = rng.range(-0.1, 1.1) * height;
    let dx = rng.normal();
    let dy = rng.normal();
    const len = Math.sqrt(dx * dx + dy * dy) || 1;
    dx /= len;
    dy /= len;
    const rect = rng.uniform() < 0.3;
    const colour = jitterColour(rng, pick(rng), 0.12);
    const shadeX = rng.range(-0.4, 0.4) / radius;
    const shadeY = rng.range(-0.4, 0.4) / radius;
    const texture = rng.int(3); // 0 flat, 1 noise, 2 stripes
    const tFreq = rng.range(2, 10) / radius;
    const tAmp = rng.range(0.05, 0.25);
    const shapeSalt = salt + 1000 * (s + 1);
    const ra = radius;
    const rb = radius * aspect;
    const x0 = Math.max(0, Math.floor(cx - ra));
    const x1 = Math.min(width - 1, Math.ceil(cx + ra));
    const y0 = Math.max(0, Math.floor(cy - ra));
    const y1 = Math.min(height - 1, Math.ceil(cy + ra));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x - cx;
        const py = y - cy;
        const a = (px * dx + py * dy) / ra;
        const bb = (-px * dy + py * dx) / rb;
        const inside = rect ? Math.abs(a) <= 0.8 && Math.abs(bb) <= 0.8 : a * a + bb * bb <= 1;
        if (!inside) continue;
        let shade = 1 + px * shadeX + py * shadeY;
        if (texture === 1) shade += tAmp * 2 * fractalNoise(px * tFreq, py * tFreq, 3, shapeSalt);
        else if (texture === 2) shade += tAmp * triangle((px * dx + py * dy) * tFreq);
        const o = (y * width + x) * 3;
        img[o] = colour[0] * shade;
        img[o + 1] = colour[1] * shade;
        img[o + 2] = colour[2] * shade;
      }
    }
  }

  // Optics and exposure: a [1,2,1] blur (lenses never give one-pixel edges), gain, sensor noise.
  const blurred = new Float64Array(img.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        let wsum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= width) continue;
            const wgt = (dx === 0 ? 2 : 1) * (dy === 0 ? 2 : 1);
            s += wgt * (img[(yy * width + xx) * 3 + ch] as number);
            wsum += wgt;
          }
        }
        blurred[(y * width + x) * 3 + ch] = s / wsum;
      }
    }
  }
  const gain = rng.range(0.7, 1.25);
  const out = new Uint8Array(img.length);
  for (let i = 0; i < out.length; i++) {
    const v = ((blurred[i] as number) * gain + rng.normal() * 0.01) * 255;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** HWC RGB bytes -> CHW float32, ImageNet-normalised (the model's input layout). */
export function normalizeImagenet(rgb: Uint8Array, width: number, height: number, out?: Float32Array, offset = 0): Float32Array {
  const plane = width * height;
  const dst = out ?? new Float32Array(3 * plane);
  for (let ch = 0; ch < 3; ch++) {
    const mean = IMAGENET_MEAN[ch] ?? 0;
    const std = IMAGENET_STD[ch] ?? 1;
    for (let i = 0; i < plane; i++) dst[offset + ch * plane + i] = ((rgb[i * 3 + ch] as number) / 255 - mean) / std;
  }
  return dst;
}

/**
 * A normalised NCHW batch of `count` synthetic images (indices first..first+count-1), each rendered
 * at `sizePx`. The scenes are scale-free (shape sizes and texture frequencies are relative to the
 * image), like natural images, so first-layer statistics at 96 px match those at 224 px; small
 * renders are how calibration sees many whole scenes for little compute.
 */
export function syntheticBatch(seed: number, count: number, options: { first?: number; sizePx?: number } = {}): { data: Float32Array; size: number } {
  const first = options.first ?? 0;
  const size = options.sizePx ?? 224;
  const data = new Float32Array(count * 3 * size * size);
  for (let i = 0; i < count; i++) normalizeImagenet(syntheticImage(seed, first + i, size, size), size, size, data, i * 3 * size * size);
  return { data, size };
}
