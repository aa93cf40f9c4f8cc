// A rotated grid frame in a projected (metric) plane: world easting/northing <-> grid (u across, v along the
// driving direction), and the main course of a track, for grids a machine drives along rather than north-up.

/** u runs across the driving direction (to its right), v along it; origin and azimuth in the plane's metres. */
export interface GridFrame {
  originE: number;
  originN: number;
  /** Azimuth of the v axis, radians clockwise from the plane's north (grid north in a UTM zone). */
  azimuthRad: number;
}

/** The identity frame: u = easting, v = northing, exactly (no rounding from a rotation by 0). */
export const NORTH_UP: GridFrame = { originE: 0, originN: 0, azimuthRad: 0 };

export function toGrid(f: GridFrame, e: number, n: number): [number, number] {
  if (f === NORTH_UP) return [e, n];
  const [dx, dy] = [e - f.originE, n - f.originN];
  const [s, c] = [Math.sin(f.azimuthRad), Math.cos(f.azimuthRad)];
  return [dx * c - dy * s, dx * s + dy * c];
}

export function fromGrid(f: GridFrame, u: number, v: number): [number, number] {
  if (f === NORTH_UP) return [u, v];
  const [s, c] = [Math.sin(f.azimuthRad), Math.cos(f.azimuthRad)];
  return [f.originE + u * c + v * s, f.originN - u * s + v * c];
}

/**
 * The dominant course of a track in degrees [0, 180) clockwise from the plane's north: the length-weighted circular
 * mean of the segments' bearings doubled (so flying a line east and the next one west count as one direction),
 * halved back. Segments longer than `maxStepM` are skipped: they are gaps in the record, not driving. Null when the
 * track does not move.
 */
export function mainCourseDeg(points: ReadonlyArray<readonly [number, number]>, maxStepM = Infinity): number | null {
  let c = 0;
  let s = 0;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1] as readonly [number, number];
    const [x1, y1] = points[i] as readonly [number, number];
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len === 0 || len > maxStepM) continue;
    const doubled = 2 * Math.atan2(x1 - x0, y1 - y0);
    c += len * Math.cos(doubled);
    s += len * Math.sin(doubled);
  }
  if (Math.hypot(c, s) < 1e-9) return null;
  const deg = (Math.atan2(s, c) / 2) * (180 / Math.PI);
  return ((deg % 180) + 180) % 180;
}
