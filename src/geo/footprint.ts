// Where the camera looked on flat ground: the image-centre target and the model crop's corners as a GeoJSON Polygon.
import { DEG } from './angles.js';
import type { GeoJsonPolygon } from './position-schema.js';
import type { Position } from './position-source.js';
import type { Attitude } from './attitude.js';

export interface CameraGeometry {
  /** Full-frame field of view of the camera module, degrees. */
  hfovDeg: number;
  vfovDeg: number;
  /** Camera mount relative to the airframe, degrees: pitch -90 looks straight down, 0 looks forward. */
  mount: { rollDeg: number; pitchDeg: number; yawDeg: number };
  /** The model sees a square centre crop: cropPx of an image resized so its shorter side is resizeShorterPx. */
  crop: { resizeShorterPx: number; cropPx: number };
  /** Ground elevation above mean sea level, for sources without a height above ground; null = unknown. */
  groundElevationMslM: number | null;
}

export interface GroundPoint {
  latDeg: number;
  lonDeg: number;
}

export interface Footprint {
  target: GroundPoint | null;
  footprint: GeoJsonPolygon | null;
  /** Why target or footprint is null; null when both are there. */
  reason: string | null;
}

type Vec3 = [number, number, number];
type Mat3 = [Vec3, Vec3, Vec3];

function mul(a: Mat3, b: Mat3): Mat3 {
  const r = (i: number, j: number): number => a[i]![0] * b[0][j]! + a[i]![1] * b[1][j]! + a[i]![2] * b[2][j]!;
  return [
    [r(0, 0), r(0, 1), r(0, 2)],
    [r(1, 0), r(1, 1), r(1, 2)],
    [r(2, 0), r(2, 1), r(2, 2)],
  ];
}

function apply(m: Mat3, v: Vec3): Vec3 {
  return [m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2], m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]];
}

/** Body (x forward, y right, z down) to NED, aerospace Z-Y-X order: yaw, then pitch (nose up +), then roll (right wing down +). */
export function rotationNedFromBody(a: Attitude): Mat3 {
  const [cy, sy] = [Math.cos(a.yawDeg * DEG), Math.sin(a.yawDeg * DEG)];
  const [cp, sp] = [Math.cos(a.pitchDeg * DEG), Math.sin(a.pitchDeg * DEG)];
  const [cr, sr] = [Math.cos(a.rollDeg * DEG), Math.sin(a.rollDeg * DEG)];
  const rz: Mat3 = [
    [cy, -sy, 0],
    [sy, cy, 0],
    [0, 0, 1],
  ];
  const ry: Mat3 = [
    [cp, 0, sp],
    [0, 1, 0],
    [-sp, 0, cp],
  ];
  const rx: Mat3 = [
    [1, 0, 0],
    [0, cr, -sr],
    [0, sr, cr],
  ];
  return mul(rz, mul(ry, rx));
}

/** Half-extent of the model's square crop in image-plane units (tangent of the half-angle), same on both axes. */
export function cropHalfTangent(camera: Pick<CameraGeometry, 'hfovDeg' | 'vfovDeg' | 'crop'>): number {
  // The shorter image side is the one resized to resizeShorterPx; pixels are square, so one tangent serves both axes.
  const shorterHalfTan = Math.tan((Math.min(camera.hfovDeg, camera.vfovDeg) / 2) * DEG);
  return shorterHalfTan * (camera.crop.cropPx / camera.crop.resizeShorterPx);
}

const WGS84_A = 6_378_137;
const WGS84_E2 = 6.69437999014e-3;

/** Moves a point by north/east metres, using the ellipsoid's radii of curvature there (exact enough for footprints). */
export function offsetLatLon(origin: GroundPoint, northM: number, eastM: number): GroundPoint {
  const phi = origin.latDeg * DEG;
  const w = 1 - WGS84_E2 * Math.sin(phi) ** 2;
  const meridional = (WGS84_A * (1 - WGS84_E2)) / w ** 1.5;
  const primeVertical = WGS84_A / Math.sqrt(w);
  const lon = origin.lonDeg + eastM / (primeVertical * Math.cos(phi)) / DEG;
  return {
    latDeg: origin.latDeg + northM / meridional / DEG,
    lonDeg: ((((lon + 180) % 360) + 360) % 360) - 180,
  };
}

/** Rays within this angle of the horizon are treated as missing the ground (their range explodes). */
const MIN_DEPRESSION_DEG = 1;

/** Ground offsets (north, east metres) where the image-plane point (u right, v down, tangents) meets the ground, or null above the horizon. */
export function groundOffset(ned: Mat3, u: number, v: number, heightM: number): { northM: number; eastM: number } | null {
  const d = apply(ned, [1, u, v]);
  const norm = Math.hypot(d[0], d[1], d[2]);
  if (d[2] / norm <= Math.sin(MIN_DEPRESSION_DEG * DEG)) return null;
  return { northM: (heightM * d[0]) / d[2], eastM: (heightM * d[1]) / d[2] };
}

/** Height of the camera above the ground: the source's relative altitude, else MSL minus the configured ground elevation. */
export function heightAboveGround(position: Position, groundElevationMslM: number | null): { heightM: number } | { reason: string } {
  if (position.altAglM !== null) return { heightM: position.altAglM };
  if (position.altMslM !== null && groundElevationMslM !== null) return { heightM: position.altMslM - groundElevationMslM };
  return {
    reason:
      position.altMslM === null
        ? 'no altitude from the position source (a 2D fix or a source without altitude)'
        : 'no height above ground: the source gives no relative altitude and camera.groundElevationMslM is not set',
  };
}

export function computeFootprint(position: Position, camera: CameraGeometry): Footprint {
  const h = heightAboveGround(position, camera.groundElevationMslM);
  if ('reason' in h) return { target: null, footprint: null, reason: h.reason };
  if (h.heightM <= 0) {
    return { target: null, footprint: null, reason: `camera is ${h.heightM.toFixed(1)} m above the ground: no footprint on the ground` };
  }
  // A gimbal reports where the camera points in the earth frame: the vehicle's attitude and the mount do not apply.
  const ned = position.gimbal ? { matrix: rotationNedFromBody(position.gimbal), headingNote: null } : vehicleCameraRotation(position, camera);
  if ('reason' in ned) return { target: null, footprint: null, reason: ned.reason };
  return groundProjection(position, h.heightM, ned.matrix, ned.headingNote, camera);
}

/** Camera to NED through the vehicle's attitude (or level flight along the course) and the configured mount angles. */
function vehicleCameraRotation(position: Position, camera: CameraGeometry): { matrix: Mat3; headingNote: string | null } | { reason: string } {
  const mountIsNadir = Math.abs(camera.mount.pitchDeg + 90) < 1e-9 && camera.mount.rollDeg === 0;
  let attitude = position.attitude;
  let headingNote: string | null = null;
  if (!attitude) {
    // Without attitude, assume level flight; the heading can come from the course over ground.
    if (position.courseDeg !== null) {
      attitude = { rollDeg: 0, pitchDeg: 0, yawDeg: position.courseDeg };
    } else if (mountIsNadir) {
      headingNote = 'no attitude or course from the position source: the footprint needs a heading (target assumes level flight)';
      attitude = { rollDeg: 0, pitchDeg: 0, yawDeg: 0 };
    } else {
      return { reason: 'no attitude or course from the position source: a tilted camera needs both' };
    }
  }
  const mount: Attitude = { rollDeg: camera.mount.rollDeg, pitchDeg: camera.mount.pitchDeg, yawDeg: camera.mount.yawDeg };
  return { matrix: mul(rotationNedFromBody(attitude), rotationNedFromBody(mount)), headingNote };
}

/** Where the image centre and the crop's corners meet flat ground `heightM` below the camera. */
function groundProjection(position: Position, heightM: number, ned: Mat3, headingNote: string | null, camera: CameraGeometry): Footprint {
  const centre = groundOffset(ned, 0, 0, heightM);
  if (!centre) {
    return {
      target: null,
      footprint: null,
      reason: `the image centre is above (or within ${MIN_DEPRESSION_DEG}° of) the horizon: no ground point`,
    };
  }
  const origin = { latDeg: position.latDeg, lonDeg: position.lonDeg };
  const target = offsetLatLon(origin, centre.northM, centre.eastM);
  if (headingNote) return { target, footprint: null, reason: headingNote };
  const t = cropHalfTangent(camera);
  // Image corners: top-left, top-right, bottom-right, bottom-left (v grows downwards in the image).
  const corners: Array<[number, number]> = [
    [-t, -t],
    [t, -t],
    [t, t],
    [-t, t],
  ];
  const ring: Array<[number, number]> = [];
  for (const [u, v] of corners) {
    const g = groundOffset(ned, u, v, heightM);
    if (!g) return { target, footprint: null, reason: 'a corner of the model crop is above the horizon: the footprint is unbounded' };
    const p = offsetLatLon(origin, g.northM, g.eastM);
    ring.push([p.lonDeg, p.latDeg]);
  }
  // RFC 7946 wants exterior rings counter-clockwise; the image's corner order depends on the mount.
  if (signedArea(ring) < 0) ring.reverse();
  ring.push(ring[0] as [number, number]);
  return { target, footprint: { type: 'Polygon', coordinates: [ring] }, reason: null };
}

/** Shoelace area in the lon/lat plane: positive when counter-clockwise. */
function signedArea(ring: Array<[number, number]>): number {
  let s = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i] as [number, number];
    const [x2, y2] = ring[(i + 1) % ring.length] as [number, number];
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}
