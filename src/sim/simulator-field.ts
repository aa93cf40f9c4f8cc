// The simulator's procedural field: zones of five ground classes (ground truth by position) and the colour of the ground at any point.
import { FIELD_ZONES, type FieldZone } from '../flight/recording-format.js';
import { SeededRandom } from '../platform/seeded-random.js';

export interface FieldOptions {
  seed: number;
  /** The surveyed area, metres east and north of its south-west corner. */
  widthM: number;
  heightM: number;
}

interface ZoneSeed {
  eastM: number;
  northM: number;
  zone: number;
}

export interface Field extends FieldOptions {
  readonly seeds: readonly ZoneSeed[];
  /** Crop rows run along this direction (radians from east), one per field, as a farmer drills it. */
  readonly rowAngleRad: number;
  /** Salt of this field's noise lattices, from the seed. */
  readonly salt: number;
}

/** Zone patches are about this size: bigger than a 30 m survey's model crop (~20 m), so many frames see one zone. */
const ZONE_CELL_M = 25;
/** Boundaries are warped by this much so zones look like wet hollows and weed patches, not polygons. */
const BOUNDARY_WARP_M = 3;
const ROW_PERIOD_M = 0.75;

function hash2(salt: number, ix: number, iy: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ salt;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** Value noise in [0, 1) on a lattice of `cellM` metres, smoothstep-interpolated: cheap, seeded, no tables. */
function noise(salt: number, eastM: number, northM: number, cellM: number): number {
  const x = eastM / cellM;
  const y = northM / cellM;
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  let fx = x - ix;
  let fy = y - iy;
  fx = fx * fx * (3 - 2 * fx);
  fy = fy * fy * (3 - 2 * fy);
  const a = hash2(salt, ix, iy);
  const b = hash2(salt, ix + 1, iy);
  const c = hash2(salt, ix, iy + 1);
  const d = hash2(salt, ix + 1, iy + 1);
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

export function createField(options: FieldOptions): Field {
  if (!(options.widthM >= 10 && options.heightM >= 10)) {
    throw new Error(`--area: expected at least 10x10 metres, received ${options.widthM}x${options.heightM}`);
  }
  const rng = new SeededRandom(options.seed, 'simulator-field');
  let nx = Math.max(1, Math.round(options.widthM / ZONE_CELL_M));
  let ny = Math.max(1, Math.round(options.heightM / ZONE_CELL_M));
  // Every class must appear at least once, however small the area.
  while (nx * ny < FIELD_ZONES.length) {
    if (options.widthM / nx >= options.heightM / ny) nx++;
    else ny++;
  }
  // Each class the same number of times (give or take one), in a seeded order.
  const classes = Array.from({ length: nx * ny }, (_, i) => i % FIELD_ZONES.length);
  for (let i = classes.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [classes[i], classes[j]] = [classes[j] as number, classes[i] as number];
  }
  const seeds: ZoneSeed[] = [];
  const cw = options.widthM / nx;
  const ch = options.heightM / ny;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      seeds.push({ eastM: (i + rng.range(0.25, 0.75)) * cw, northM: (j + rng.range(0.25, 0.75)) * ch, zone: classes[j * nx + i] as number });
    }
  }
  return { ...options, seeds, rowAngleRad: rng.range(0, Math.PI), salt: rng.nextUint32() | 0 };
}

function zoneIndexAt(field: Field, eastM: number, northM: number): number {
  const e = eastM + (noise(field.salt ^ 0x1111, eastM, northM, 12) - 0.5) * 2 * BOUNDARY_WARP_M;
  const n = northM + (noise(field.salt ^ 0x2222, eastM, northM, 12) - 0.5) * 2 * BOUNDARY_WARP_M;
  let best = 0;
  let bestD = Infinity;
  for (const s of field.seeds) {
    const d = (s.eastM - e) ** 2 + (s.northM - n) ** 2;
    if (d < bestD) {
      bestD = d;
      best = s.zone;
    }
  }
  return best;
}

/** The true class of the ground at a point (metres from the area's south-west corner); defined beyond the area too. */
export function zoneAt(field: Field, eastM: number, northM: number): FieldZone {
  return FIELD_ZONES[zoneIndexAt(field, eastM, northM)] as FieldZone;
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** One ground point's colour: each class has its own palette and texture (rows, clumps, clods, ripples), varying inside a zone. */
export function groundColour(field: Field, eastM: number, northM: number, out: Uint8Array | Buffer, offset: number): void {
  const zone = zoneIndexAt(field, eastM, northM);
  const s = field.salt;
  // Slow variation inside a zone (soil moisture, vigour): ±12 % brightness over ~10 m.
  const slow = 0.88 + 0.24 * noise(s ^ 0x3333, eastM, northM, 10);
  const fine = noise(s ^ 0x4444, eastM, northM, 0.12) - 0.5;
  let r: number;
  let g: number;
  let b: number;
  if (zone === 0 || zone === 4) {
    const stressed = zone === 4;
    const across = eastM * Math.cos(field.rowAngleRad) + northM * Math.sin(field.rowAngleRad);
    const phase = across / ROW_PERIOD_M - Math.floor(across / ROW_PERIOD_M);
    const gap = noise(s ^ 0x5555, eastM, northM, stressed ? 0.6 : 1.5);
    const halfWidth = stressed ? 0.16 + 0.1 * gap : 0.3 + 0.08 * gap;
    const plant = Math.abs(phase - 0.5) < halfWidth && gap > (stressed ? 0.35 : 0.12);
    if (plant) {
      [r, g, b] = stressed ? [165 + 60 * fine, 160 + 50 * fine, 70 + 30 * fine] : [45 + 30 * fine, 125 + 60 * fine, 35 + 25 * fine];
    } else {
      [r, g, b] = [120 + 40 * fine, 90 + 30 * fine, 62 + 20 * fine];
    }
  } else if (zone === 1) {
    const clump = noise(s ^ 0x6666, eastM, northM, 0.5) * 0.6 + noise(s ^ 0x7777, eastM, northM, 0.15) * 0.4;
    if (clump > 0.42) {
      const leaf = noise(s ^ 0x8888, eastM, northM, 0.08);
      [r, g, b] = leaf > 0.5 ? [70 + 50 * fine, 105 + 70 * fine, 30 + 30 * fine] : [35 + 30 * fine, 75 + 50 * fine, 25 + 20 * fine];
    } else {
      [r, g, b] = [105 + 40 * fine, 82 + 30 * fine, 58 + 20 * fine];
    }
  } else if (zone === 2) {
    const clod = noise(s ^ 0x9999, eastM, northM, 0.3) - 0.5;
    const tone = 1 + 0.5 * clod + 0.6 * fine;
    [r, g, b] = [150 * tone, 115 * tone, 85 * tone];
  } else {
    const ripple = noise(s ^ 0xaaaa, eastM, northM, 1.2) - 0.5;
    const glint = noise(s ^ 0xbbbb, eastM, northM, 0.25) > 0.9 ? 60 : 0;
    [r, g, b] = [38 + 14 * ripple + glint, 62 + 16 * ripple + glint, 82 + 18 * ripple + glint];
  }
  out[offset] = clampByte(r * slow);
  out[offset + 1] = clampByte(g * slow);
  out[offset + 2] = clampByte(b * slow);
}
