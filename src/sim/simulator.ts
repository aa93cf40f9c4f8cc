// `fieldeye simulate`: a synthetic survey flight over a procedural field, written as a flight folder with per-frame ground truth.
import sharp from 'sharp';
import { CAMERA_MODULE_FOV } from '../config/schema.js';
import { DEG } from '../geo/angles.js';
import { cropHalfTangent, offsetLatLon, rotationNedFromBody, type GroundPoint } from '../geo/footprint.js';
import type { Attitude } from '../geo/attitude.js';
import { SeededRandom } from '../platform/seeded-random.js';
import type { Logger } from '../platform/logger.js';
import { startProgress } from '../platform/progress.js';
import { FlightWriter } from '../flight/flight-writer.js';
import type { FlightManifest } from '../flight/recording-format.js';
import { createField, groundColour, zoneAt, type Field } from './simulator-field.js';
import { type FieldZone } from '../flight/recording-format.js';

/** The area's south-west corner: farmland near Cambridge, UK (any flat place would do; fixed so flights are reproducible). */
export const SIMULATED_ORIGIN: GroundPoint = { latDeg: 52.2, lonDeg: 0.1 };
export const SIMULATED_GROUND_MSL_M = 20;
/** Simulated flights start here unless told otherwise, so two runs of one seed are byte-identical. */
export const SIMULATED_START_MS = Date.parse('2026-06-01T09:00:00Z');

/** The camera replay assumes by default (config position.camera.module), so simulated footprints and geotags agree. */
const FOV = CAMERA_MODULE_FOV['camera-module-3'];
const FRAME_WIDTH_PX = 640;
/** Square pixels: the height follows the module's field of view (16:9-ish), as the footprint model assumes. */
const FRAME_HEIGHT_PX = Math.round((FRAME_WIDTH_PX * Math.tan((FOV.vfovDeg / 2) * DEG)) / Math.tan((FOV.hfovDeg / 2) * DEG) / 2) * 2;
/** The pipeline's default model crop (Resize 256, CenterCrop 224), for the share of the crop the centre's zone covers. */
const MODEL_CROP = { resizeShorterPx: 256, cropPx: 224 };
const TELEMETRY_HZ = 10;
/** GNSS error: a Gauss-Markov process per axis (a good L1/L5 receiver; errors wander, they do not jump every fix). */
const GPS_SIGMA_M = 0.25;
const GPS_VERTICAL_SIGMA_M = 0.15;
const GPS_CORRELATION_S = 10;
const SIDELAP = 0.3;
const FORWARD_OVERLAP = 0.4;
/** The simulated camera's shutter when none is given: 1/1000 s, a daylight survey setting. */
export const SIMULATED_EXPOSURE_US = 1000;

export interface SimulateOptions {
  out: string;
  seed: number;
  widthM: number;
  heightM: number;
  altAglM: number;
  speedMps: number;
  /** The simulated camera's shutter, microseconds, recorded per frame as source.exposureUs (the images are not smeared by it). */
  exposureUs?: number;
  startMs?: number;
  droneId?: string;
  flightId?: string;
  logger?: Logger;
}

/** What the simulator knows about a frame, stored in frames.jsonl as `source.simulator` (docs/recording-format.md). */
export interface SimulatedFrameTruth {
  zone: FieldZone;
  /** Share of the model's centre crop covered by `zone` (11x11 samples): 1 = the crop sees one class only. */
  zoneShare: number;
  camera: { latDeg: number; lonDeg: number; altAglM: number; altMslM: number };
  attitude: Attitude;
  /** Where the image centre meets the ground. */
  centre: GroundPoint;
  /** The same, metres from the area's south-west corner (the field's own coordinates). */
  centreLocalM: { eastM: number; northM: number };
}

interface Leg {
  fromE: number;
  fromN: number;
  toE: number;
  toN: number;
  /** Path distance at the leg's start. */
  startM: number;
  lengthM: number;
  survey: boolean;
}

type Vec3 = [number, number, number];

function rotate(m: ReturnType<typeof rotationNedFromBody>, v: Vec3): Vec3 {
  return [m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2], m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2], m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2]];
}

/** The lawnmower: east-west survey lines spaced for the side overlap, joined by short transfers. */
function lawnmower(field: Field, altAglM: number): { legs: Leg[]; lineSpacingM: number } {
  const swathM = 2 * altAglM * Math.tan((FOV.hfovDeg / 2) * DEG);
  const lines = Math.max(1, Math.ceil(field.heightM / (swathM * (1 - SIDELAP))));
  const spacing = field.heightM / lines;
  const legs: Leg[] = [];
  let startM = 0;
  const add = (fromE: number, fromN: number, toE: number, toN: number, survey: boolean) => {
    const lengthM = Math.hypot(toE - fromE, toN - fromN);
    legs.push({ fromE, fromN, toE, toN, startM, lengthM, survey });
    startM += lengthM;
  };
  for (let i = 0; i < lines; i++) {
    const n = (i + 0.5) * spacing;
    const eastward = i % 2 === 0;
    add(eastward ? 0 : field.widthM, n, eastward ? field.widthM : 0, n, true);
    if (i + 1 < lines) add(eastward ? field.widthM : 0, n, eastward ? field.widthM : 0, n + spacing, false);
  }
  return { legs, lineSpacingM: spacing };
}

function legAt(legs: readonly Leg[], d: number): Leg {
  for (const leg of legs) if (d <= leg.startM + leg.lengthM) return leg;
  return legs[legs.length - 1] as Leg;
}

/** Smooth attitude jitter: a few seeded sinusoids per axis (wind gusts, controller corrections), around a forward-flight pitch. */
function attitudeJitter(seed: number): (t: number) => { rollDeg: number; pitchDeg: number; yawDeg: number } {
  const rng = new SeededRandom(seed, 'simulator-attitude');
  const waves = (amplitudeDeg: number) =>
    Array.from({ length: 3 }, (_, k) => ({ a: amplitudeDeg / (k + 1), f: rng.range(0.05, 0.4) * (k + 1), p: rng.range(0, 2 * Math.PI) }));
  const roll = waves(1.5);
  const pitch = waves(1.2);
  const yaw = waves(1);
  const sum = (w: typeof roll, t: number) => w.reduce((s, x) => s + x.a * Math.sin(2 * Math.PI * x.f * t + x.p), 0);
  // A multirotor in forward flight leans nose down a little.
  return (t) => ({ rollDeg: sum(roll, t), pitchDeg: -3 + sum(pitch, t), yawDeg: sum(yaw, t) });
}

function wrap360(deg: number): number {
  return ((deg % 360) + 360) % 360;
}

export interface SimulatedFlight {
  manifest: FlightManifest;
  field: Field;
  frames: number;
  durationS: number;
}

// eslint-disable-next-line max-lines-per-function -- one survey simulation loop (path, frames, telemetry, truth) kept together for byte-identical output
export async function simulateFlight(options: SimulateOptions): Promise<SimulatedFlight> {
  const { seed, altAglM, speedMps } = options;
  const exposureUs = options.exposureUs ?? SIMULATED_EXPOSURE_US;
  if (!(exposureUs >= 1 && exposureUs <= 1_000_000)) throw new Error(`--exposure-us: expected microseconds between 1 and 1000000, received ${exposureUs}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed: expected an integer between 0 and 4294967295, received ${seed}`);
  if (!(altAglM >= 5 && altAglM <= 500)) throw new Error(`--alt: expected metres above ground between 5 and 500, received ${altAglM}`);
  if (!(speedMps >= 0.5 && speedMps <= 30)) throw new Error(`--speed: expected metres per second between 0.5 and 30, received ${speedMps}`);
  const field = createField({ seed, widthM: options.widthM, heightM: options.heightM });
  const startMs = options.startMs ?? SIMULATED_START_MS;
  const { legs } = lawnmower(field, altAglM);
  const last = legs[legs.length - 1] as Leg;
  const pathM = last.startM + last.lengthM;
  const durationS = pathM / speedMps;
  const jitter = attitudeJitter(seed);

  const stateAt = (tS: number) => {
    const d = Math.min(pathM, Math.max(0, tS * speedMps));
    const leg = legAt(legs, d);
    const f = leg.lengthM > 0 ? (d - leg.startM) / leg.lengthM : 0;
    const eastM = leg.fromE + (leg.toE - leg.fromE) * f;
    const northM = leg.fromN + (leg.toN - leg.fromN) * f;
    const headingDeg = wrap360(Math.atan2(leg.toE - leg.fromE, leg.toN - leg.fromN) / DEG);
    const j = jitter(tS);
    return { eastM, northM, headingDeg, attitude: { rollDeg: j.rollDeg, pitchDeg: j.pitchDeg, yawDeg: wrap360(headingDeg + j.yawDeg) } };
  };

  const writer = await FlightWriter.create(
    options.out,
    {
      droneId: options.droneId ?? 'simulator',
      flightId: options.flightId ?? `sim-seed-${seed}`,
      startedAt: new Date(startMs).toISOString(),
      origin: 'simulate',
      camera: { description: 'camera-module-3 (simulated, nadir)', hfovDeg: FOV.hfovDeg, vfovDeg: FOV.vfovDeg, mountPitchDeg: -90 },
      model: null,
      configSha256: null,
    },
    { maxBytes: null, ...(options.logger ? { logger: options.logger } : {}), endedAt: () => new Date(startMs + Math.round(durationS * 1000)) },
  );
  writer.addNote(
    `simulated: seed ${seed}, area ${field.widthM}x${field.heightM} m from ${SIMULATED_ORIGIN.latDeg},${SIMULATED_ORIGIN.lonDeg} (south-west corner), ` +
      `${altAglM} m above ground (ground ${SIMULATED_GROUND_MSL_M} m MSL), ${speedMps} m/s; ground truth per frame in frames.jsonl source.simulator`,
  );

  // Telemetry at 10 Hz: true path plus wandering GNSS error; attitude as the flight controller reports it.
  const gps = new SeededRandom(seed, 'simulator-gps');
  const a = Math.exp(-1 / TELEMETRY_HZ / GPS_CORRELATION_S);
  const b = Math.sqrt(1 - a * a);
  let [errN, errE, errU] = [gps.normal() * GPS_SIGMA_M, gps.normal() * GPS_SIGMA_M, gps.normal() * GPS_VERTICAL_SIGMA_M];
  const samples = Math.floor(durationS * TELEMETRY_HZ) + 2;
  for (let k = 0; k < samples; k++) {
    const timeMs = startMs + k * (1000 / TELEMETRY_HZ);
    const s = stateAt((timeMs - startMs) / 1000);
    const p = offsetLatLon(SIMULATED_ORIGIN, s.northM + errN, s.eastM + errE);
    const altAgl = altAglM + errU;
    writer.writeTelemetry({
      kind: 'fix',
      source: 'simulator',
      timeMs,
      fix: { latDeg: p.latDeg, lonDeg: p.lonDeg, altMslM: SIMULATED_GROUND_MSL_M + altAgl, altAglM: altAgl },
      fixType: 3,
      hdop: 0.7,
      satellites: 14,
      courseDeg: s.headingDeg,
      speedMps,
    });
    writer.writeTelemetry({ kind: 'attitude', source: 'simulator', timeMs, ...s.attitude });
    errN = a * errN + b * gps.normal() * GPS_SIGMA_M;
    errE = a * errE + b * gps.normal() * GPS_SIGMA_M;
    errU = a * errU + b * gps.normal() * GPS_VERTICAL_SIGMA_M;
  }

  // Frames along the survey lines, spaced for the forward overlap, none on the turns.
  const alongM = 2 * altAglM * Math.tan((FOV.vfovDeg / 2) * DEG) * (1 - FORWARD_OVERLAP);
  const tanH = Math.tan((FOV.hfovDeg / 2) * DEG);
  const tanV = Math.tan((FOV.vfovDeg / 2) * DEG);
  const cropT = cropHalfTangent({ hfovDeg: FOV.hfovDeg, vfovDeg: FOV.vfovDeg, crop: MODEL_CROP });
  const mount = rotationNedFromBody({ rollDeg: 0, pitchDeg: -90, yawDeg: 0 });
  const pixels = Buffer.alloc(FRAME_WIDTH_PX * FRAME_HEIGHT_PX * 3);
  let frames = 0;
  const surveyLegs = legs.filter((l) => l.survey);
  const framesOnLeg = (leg: Leg) => Math.max(1, Math.floor(leg.lengthM / alongM));
  const progress = startProgress(
    'simulating frames',
    surveyLegs.reduce((n, leg) => n + framesOnLeg(leg), 0),
  );
  for (const leg of surveyLegs) {
    const count = framesOnLeg(leg);
    const first = (leg.lengthM - (count - 1) * alongM) / 2;
    for (let i = 0; i < count; i++) {
      const capturedAtMs = startMs + Math.round(((leg.startM + first + i * alongM) / speedMps) * 1000);
      const s = stateAt((capturedAtMs - startMs) / 1000);
      const body = rotationNedFromBody(s.attitude);
      // Camera axes in NED: the optical axis and the image's right and down directions (tangent units).
      const c0 = rotate(body, [mount[0][0], mount[1][0], mount[2][0]]);
      const c1 = rotate(body, [mount[0][1], mount[1][1], mount[2][1]]);
      const c2 = rotate(body, [mount[0][2], mount[1][2], mount[2][2]]);
      const ground = (u: number, v: number) => {
        const dn = c0[0] + u * c1[0] + v * c2[0];
        const de = c0[1] + u * c1[1] + v * c2[1];
        const dd = c0[2] + u * c1[2] + v * c2[2];
        return { eastM: s.eastM + (altAglM * de) / dd, northM: s.northM + (altAglM * dn) / dd };
      };
      for (let row = 0; row < FRAME_HEIGHT_PX; row++) {
        const v = ((2 * (row + 0.5)) / FRAME_HEIGHT_PX - 1) * tanV;
        for (let c = 0; c < FRAME_WIDTH_PX; c++) {
          const g = ground(((2 * (c + 0.5)) / FRAME_WIDTH_PX - 1) * tanH, v);
          groundColour(field, g.eastM, g.northM, pixels, (row * FRAME_WIDTH_PX + c) * 3);
        }
      }
      const jpeg = await sharp(pixels, { raw: { width: FRAME_WIDTH_PX, height: FRAME_HEIGHT_PX, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer();
      const centreLocal = ground(0, 0);
      const zone = zoneAt(field, centreLocal.eastM, centreLocal.northM);
      let same = 0;
      for (let y = 0; y <= 10; y++) {
        for (let x = 0; x <= 10; x++) {
          const g = ground(((x - 5) / 5) * cropT, ((y - 5) / 5) * cropT);
          if (zoneAt(field, g.eastM, g.northM) === zone) same++;
        }
      }
      const camera = offsetLatLon(SIMULATED_ORIGIN, s.northM, s.eastM);
      const truth: SimulatedFrameTruth = {
        zone,
        zoneShare: Math.round((same / 121) * 1000) / 1000,
        camera: { ...camera, altAglM, altMslM: SIMULATED_GROUND_MSL_M + altAglM },
        attitude: s.attitude,
        centre: offsetLatLon(SIMULATED_ORIGIN, centreLocal.northM, centreLocal.eastM),
        centreLocalM: centreLocal,
      };
      writer.writeFrame({
        capturedAtMs,
        timeSource: 'sensor',
        name: `sim-${String(frames).padStart(4, '0')}.jpg`,
        bytes: jpeg,
        source: { simulator: truth, exposureUs },
      });
      frames++;
      progress.tick();
    }
  }
  progress.done();
  const manifest = await writer.close('source-ended');
  return { manifest, field, frames, durationS };
}
