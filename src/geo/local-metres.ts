// North/east metres between nearby points on the WGS84 ellipsoid (the inverse of offsetLatLon), for drift and grid cells.
import { DEG } from './angles.js';
import type { GroundPoint } from './footprint.js';

const WGS84_A = 6_378_137;
const WGS84_E2 = 6.69437999014e-3;

/** Metres per degree of latitude and of longitude at a latitude (radii of curvature there). */
export function metresPerDegree(latDeg: number): { northM: number; eastM: number } {
  const phi = latDeg * DEG;
  const w = 1 - WGS84_E2 * Math.sin(phi) ** 2;
  return { northM: ((WGS84_A * (1 - WGS84_E2)) / w ** 1.5) * DEG, eastM: (WGS84_A / Math.sqrt(w)) * Math.cos(phi) * DEG };
}

/** Where `p` lies from `origin`, metres north and east; exact enough over a field (kilometres). */
export function northEastM(origin: GroundPoint, p: GroundPoint): { northM: number; eastM: number } {
  const m = metresPerDegree((origin.latDeg + p.latDeg) / 2);
  const dLon = ((((p.lonDeg - origin.lonDeg + 180) % 360) + 360) % 360) - 180;
  return { northM: (p.latDeg - origin.latDeg) * m.northM, eastM: dLon * m.eastM };
}

export function distanceM(a: GroundPoint, b: GroundPoint): number {
  const d = northEastM(a, b);
  return Math.hypot(d.northM, d.eastM);
}
