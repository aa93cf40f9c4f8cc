// A camera gimbal's reported quaternion (MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS) as earth-frame angles the footprint can use.
import { DEG } from './angles.js';
import type { Attitude } from './attitude.js';

/** Unit quaternion w, x, y, z (MAVLink order). */
export type Quaternion = [number, number, number, number];

/**
 * vehicle: roll and pitch are relative to the horizon, yaw to the vehicle's heading (MAVLink's "vehicle frame",
 * the earth frame turned to the nose); earth: yaw is relative to true north as well.
 */
export type GimbalYawFrame = 'vehicle' | 'earth';

export function normaliseQuaternion(q: Quaternion): Quaternion | null {
  const n = Math.hypot(...q);
  if (!Number.isFinite(n) || n < 1e-6) return null;
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** Normalised linear interpolation on the shorter arc: exact at the ends, close to slerp between nearby samples. */
export function nlerpQuaternion(a: Quaternion, b: Quaternion, f: number): Quaternion {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  const s = dot < 0 ? -1 : 1;
  const q: Quaternion = [0, 1, 2, 3].map((i) => (a[i] as number) + (s * (b[i] as number) - (a[i] as number)) * f) as Quaternion;
  return normaliseQuaternion(q) ?? a;
}

type Mat3 = [[number, number, number], [number, number, number], [number, number, number]];

function matrixOf(q: Quaternion): Mat3 {
  const [w, x, y, z] = q;
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
  ];
}

/**
 * Z-Y-X Euler angles of a rotation matrix (the convention of rotationNedFromBody). Looking straight down is the
 * common case for mapping and a singularity of these angles: there roll is set to 0 and the whole turn about the
 * vertical goes into yaw, so the angles still rebuild the same rotation.
 */
function eulerOf(m: Mat3): Attitude {
  const sinPitch = Math.max(-1, Math.min(1, -m[2][0]));
  const pitch = Math.asin(sinPitch);
  let roll: number;
  let yaw: number;
  if (Math.abs(sinPitch) < 1 - 1e-9) {
    roll = Math.atan2(m[2][1], m[2][2]);
    yaw = Math.atan2(m[1][0], m[0][0]);
  } else {
    roll = 0;
    yaw = Math.atan2(-m[0][1], m[1][1]);
  }
  const yawDeg = (((yaw / DEG) % 360) + 360) % 360;
  return { rollDeg: roll / DEG, pitchDeg: pitch / DEG, yawDeg };
}

/**
 * The camera's attitude in the earth frame (NED, yaw from true north) from the gimbal quaternion; a vehicle-frame
 * quaternion needs the vehicle's heading at the same time (q_earth = q_yaw(heading) * q_vehicle, as MAVLink says).
 */
export function gimbalEarthAttitude(q: Quaternion, frame: GimbalYawFrame, vehicleYawDeg: number | null): Attitude | null {
  const unit = normaliseQuaternion(q);
  if (!unit) return null;
  let earth = unit;
  if (frame === 'vehicle') {
    if (vehicleYawDeg === null) return null;
    const h = (vehicleYawDeg * DEG) / 2;
    const yawQ: Quaternion = [Math.cos(h), 0, 0, Math.sin(h)];
    earth = multiply(yawQ, unit);
  }
  return eulerOf(matrixOf(earth));
}

function multiply(a: Quaternion, b: Quaternion): Quaternion {
  const [aw, ax, ay, az] = a;
  const [bw, bx, by, bz] = b;
  return [
    aw * bw - ax * bx - ay * by - az * bz,
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
  ];
}
