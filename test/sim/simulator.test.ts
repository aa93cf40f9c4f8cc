// The simulator in-process: same seed gives the same bytes, and each frame's stored ground truth is what the field and the camera model say.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFlight, type RecordedFlight } from '../../src/flight/flight-reader.js';
import { SIMULATED_ORIGIN, simulateFlight, type SimulatedFrameTruth } from '../../src/sim/simulator.js';
import { createField, zoneAt } from '../../src/sim/simulator-field.js';
import { FIELD_ZONES } from '../../src/flight/recording-format.js';
import { computeFootprint } from '../../src/geo/footprint.js';
import { distanceM, northEastM } from '../../src/geo/local-metres.js';

const SMALL = { seed: 7, widthM: 80, heightM: 50, altAglM: 20, speedMps: 5 };
let work: string;
let flight: RecordedFlight;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-sim-'));
  await simulateFlight({ ...SMALL, out: join(work, 'a') });
  flight = await readFlight(join(work, 'a'));
});

function truth(i: number): SimulatedFrameTruth {
  return flight.frames[i]!.source['simulator'] as SimulatedFrameTruth;
}

/** Colour (mean R, G, B) and texture (luminance spread, mean horizontal gradient) of a frame's model crop. */
async function cropFeatures(file: string): Promise<number[]> {
  const { width = 0, height = 0 } = await sharp(file).metadata();
  const side = Math.round((Math.min(width, height) * 224) / 256);
  const data = await sharp(file)
    .extract({ left: Math.round((width - side) / 2), top: Math.round((height - side) / 2), width: side, height: side })
    .raw()
    .toBuffer();
  const n = side * side;
  const mean = [0, 0, 0];
  const lum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) mean[c]! += data[i * 3 + c]!;
    lum[i] = (data[i * 3]! + data[i * 3 + 1]! + data[i * 3 + 2]!) / 3;
  }
  const m = lum.reduce((a, x) => a + x, 0) / n;
  let variance = 0;
  let gradient = 0;
  for (let i = 0; i < n; i++) {
    variance += (lum[i]! - m) ** 2;
    if ((i % side) + 1 < side) gradient += Math.abs(lum[i + 1]! - lum[i]!);
  }
  return [...mean.map((x) => x / n), Math.sqrt(variance / n), gradient / n];
}

async function labelledCrops(seed: number): Promise<Array<{ zone: string; x: number[] }>> {
  const dir = join(work, `classes-${seed}`);
  await simulateFlight({ ...SMALL, seed, out: dir });
  const f = await readFlight(dir);
  const pure = f.frames.filter((fr) => (fr.source['simulator'] as SimulatedFrameTruth).zoneShare >= 0.9);
  return Promise.all(pure.map(async (fr) => ({ zone: (fr.source['simulator'] as SimulatedFrameTruth).zone, x: await cropFeatures(join(dir, fr.file)) })));
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length))
    .sort();
}

describe('simulate', () => {
  it('writes a readable flight: 20-40 frames, 10 Hz fixes and attitude covering every frame', () => {
    expect(flight.problems).toEqual([]);
    expect(flight.manifest.origin).toBe('simulate');
    expect(flight.frames.length).toBeGreaterThanOrEqual(20);
    expect(flight.frames.length).toBeLessThanOrEqual(40);
    expect(flight.manifest.end).toMatchObject({ frames: flight.frames.length, reason: 'source-ended' });
    const fixes = flight.telemetry.filter((t) => t.kind === 'fix');
    expect(fixes.length).toBe(flight.telemetry.filter((t) => t.kind === 'attitude').length);
    expect(fixes[1]!.timeMs - fixes[0]!.timeMs).toBe(100);
    const last = flight.frames[flight.frames.length - 1]!.capturedAtMs;
    expect(fixes[0]!.timeMs).toBeLessThanOrEqual(flight.frames[0]!.capturedAtMs);
    expect(fixes[fixes.length - 1]!.timeMs).toBeGreaterThanOrEqual(last);
    const jpeg = readFileSync(join(flight.dir, flight.frames[0]!.file));
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('the same seed writes identical bytes; another seed a different field', async () => {
    await simulateFlight({ ...SMALL, out: join(work, 'b') });
    const a = join(work, 'a');
    const b = join(work, 'b');
    expect(filesOf(b)).toEqual(filesOf(a));
    for (const f of filesOf(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);

    await simulateFlight({ ...SMALL, seed: 8, out: join(work, 'c') });
    expect(readFileSync(join(work, 'c', 'frames.jsonl')).equals(readFileSync(join(a, 'frames.jsonl')))).toBe(false);
  });

  it('stores the zone at the footprint centre that the camera model computes from the true pose', () => {
    const field = createField({ seed: SMALL.seed, widthM: SMALL.widthM, heightM: SMALL.heightM });
    const camera = {
      hfovDeg: 66,
      vfovDeg: 41,
      mount: { rollDeg: 0, pitchDeg: -90, yawDeg: 0 },
      crop: { resizeShorterPx: 256, cropPx: 224 },
      groundElevationMslM: null,
    };
    for (let i = 0; i < flight.frames.length; i++) {
      const t = truth(i);
      const fp = computeFootprint(
        { ...t.camera, source: 'recording', fixType: 3, hdop: null, satellites: null, sampleAgeMs: 0, courseDeg: null, attitude: t.attitude },
        camera,
      );
      expect(fp.target).not.toBeNull();
      // The simulator's own projection and the pipeline's footprint model agree on where the centre is...
      expect(distanceM(fp.target!, t.centre)).toBeLessThan(0.05);
      // ...and the stored zone is the field's zone there.
      const local = northEastM(SIMULATED_ORIGIN, fp.target!);
      expect(zoneAt(field, local.eastM, local.northM), `frame ${i}`).toBe(t.zone);
    }
  });

  it('flies over every class, each with frames whose model crop sees mostly that class', () => {
    const zones = flight.frames.map((_, i) => truth(i));
    for (const z of FIELD_ZONES)
      expect(
        zones.some((t) => t.zone === z),
        z,
      ).toBe(true);
    expect(zones.filter((t) => t.zoneShare >= 0.8).length).toBeGreaterThan(zones.length / 3);
  });

  it('classes differ in colour and texture: centroids from one seed classify the frames of another', async () => {
    const [train, test] = [await labelledCrops(11), await labelledCrops(12)];
    const scale = [0, 1, 2, 3, 4].map((k) => {
      const v = train.map((t) => t.x[k]!);
      const mu = v.reduce((a, x) => a + x, 0) / v.length;
      return Math.sqrt(v.reduce((a, x) => a + (x - mu) ** 2, 0) / v.length) || 1;
    });
    const centroids = FIELD_ZONES.map((zone) => {
      const mine = train.filter((t) => t.zone === zone);
      expect(mine.length, `training frames of ${zone}`).toBeGreaterThan(0);
      return { zone, c: [0, 1, 2, 3, 4].map((k) => mine.reduce((a, t) => a + t.x[k]!, 0) / mine.length) };
    });
    expect(new Set(test.map((t) => t.zone)).size).toBe(FIELD_ZONES.length);
    const predicted = test.map((t) => {
      const d = centroids.map(({ zone, c }) => ({ zone, d: c.reduce((a, ck, k) => a + ((ck - t.x[k]!) / scale[k]!) ** 2, 0) }));
      return d.sort((p, q) => p.d - q.d)[0]!.zone;
    });
    expect(predicted).toEqual(test.map((t) => t.zone));
  });

  it('refuses a bad altitude with the option name and what it received', async () => {
    await expect(simulateFlight({ ...SMALL, altAglM: 0, out: join(work, 'bad') })).rejects.toThrow(
      '--alt: expected metres above ground between 5 and 500, received 0',
    );
  });
});
