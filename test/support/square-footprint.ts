// Test and bench helper: a square footprint polygon around a point, `halfDeg` degrees either way (closed ring, RFC 7946).
import type { Result } from '../../src/publish/result-schema.js';

export function squareFootprint(latDeg: number, lonDeg: number, halfDeg: number): NonNullable<Result['footprint']> {
  const d = halfDeg;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lonDeg - d, latDeg - d],
        [lonDeg + d, latDeg - d],
        [lonDeg + d, latDeg + d],
        [lonDeg - d, latDeg + d],
        [lonDeg - d, latDeg - d],
      ],
    ],
  };
}
