// Angle helpers shared by the track and the footprint: arithmetic on the circle, so 359° and 1° are 2° apart.

/** Wraps degrees into [-180, 180). */
export function wrap180(deg: number): number {
  const w = ((((deg + 180) % 360) + 360) % 360) - 180;
  return w;
}

/** Signed shortest rotation from a to b, degrees in [-180, 180). */
export function angleDiffDeg(a: number, b: number): number {
  return wrap180(b - a);
}

export const DEG = Math.PI / 180;
