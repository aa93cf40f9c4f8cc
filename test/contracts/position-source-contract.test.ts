// Contract suite of the PositionSource port, run against every adapter fed by real telemetry (gpsd via gpsfake, MAVLink and NMEA peers, logs, photos).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { ImagesFrameSource } from '../../src/capture/images-frame-source.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { RecordedFlight } from '../../src/flight/flight-reader.js';
import { RecordingFrameSource } from '../../src/flight/recording-frame-source.js';
import { RecordingPositionSource } from '../../src/flight/recording-position-source.js';
import { createPositionSource } from '../../src/geo/create-position-source.js';
import { PositionSchema, type Position } from '../../src/geo/position-schema.js';
import type { PositionSource } from '../../src/geo/position-source.js';
import type { Track } from '../../src/geo/track.js';
import { UdpTrackPositionSource } from '../../src/geo/udp-track-position-source.js';
import { silentLogger } from '../../src/platform/logger.js';
import { HealthSchema } from '../../src/publish/health-schema.js';
import { startGpsfake, type GpsfakeRun } from '../support/gpsfake.js';
import { startFlightSender } from '../support/mavlink-flight.js';
import { freeLoopbackPort } from '../support/mosquitto.js';
import { curvedPath, nmeaFor } from '../support/nmea-track.js';
import { until } from '../support/until.js';
import { BAD_FRAMES_DIR, SAMPLE_FLIGHT_DIR, TempDirs, frameAt, readFrames, sampleRecording } from './contract-fixtures.js';

const HOUR_MS = 3_600_000;
/** The documented shape of health(): the health report's `position` part (publish/health-schema.ts). */
const PositionHealthSchema = HealthSchema.shape.position.unwrap().unwrap();

interface OpenedPositionSource {
  source: PositionSource;
  /** Frames the source covers: times inside its track, or photos carrying their own geotag. */
  inside: Frame[];
  /** Frames it cannot place: times before and after its track, photos without a geotag. */
  outside: Frame[];
  /** Stops what feeds the source (gpsfake, a sender); the source itself is closed by the contract. */
  dispose?(): Promise<void>;
}

/** Clauses of the contract, so an entry can name the one its adapter breaks today. */
type Clause = 'inside' | 'outside' | 'health' | 'close';

interface PositionSourceCase {
  name: string;
  /** `source` in its positions; null for a source that never gives one (none). */
  source: Position['source'] | null;
  /** What a frame outside gets: null with a reason, or (fixed) the same position as every frame. */
  outside: 'reason' | 'position';
  /** health() and its type/input, for the live telemetry sources; null: no health() (HealthSchema.position is null for them). */
  health: { type: string; input: string } | null;
  open(): Promise<OpenedPositionSource>;
  /** A clause this adapter breaks today, with the defect: its test runs as it.fails, and passes again once it is fixed. */
  defects?: Partial<Record<Clause, string>>;
}

let dirs: TempDirs;
let flight: RecordedFlight;

beforeAll(async () => {
  dirs = new TempDirs();
  flight = await sampleRecording(dirs);
});

afterAll(async () => {
  await dirs?.removeAll();
});

/** The position config as the loader makes it; live sources answer at once (no wait for a fix that will not come). */
function positionConfig(position: Record<string, unknown>) {
  return ConfigSchema.parse({ position: { track: { waitForSampleMs: 200, retentionS: 86_400 }, ...position } }).position;
}

/**
 * Times the track covers, from the track itself (what a live feed delivered is only known there): some fix samples
 * and the midpoints between neighbouring fixes, so both the exact and the interpolated answers are asked for.
 */
function coveredFrames(track: Track, count = 6): Frame[] {
  const samples: Array<{ timeMs: number; hasFix: boolean }> = [];
  track.observe((s) => {
    if (s.kind === 'fix') samples.push({ timeMs: s.sample.timeMs, hasFix: s.sample.fix !== null });
  })();
  const times: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]] as [(typeof samples)[0], (typeof samples)[0]];
    if (a.hasFix && b.hasFix && b.timeMs - a.timeMs <= 2_000) times.push(a.timeMs, (a.timeMs + b.timeMs) / 2);
  }
  const step = Math.max(1, Math.floor(times.length / (2 * count)));
  const picked = times.filter((_, i) => i % step === 0).slice(0, 2 * count);
  if (picked.length === 0) throw new Error(`the track holds no neighbouring fixes to ask about (${samples.length} samples)`);
  return picked.map((t, i) => frameAt(t, i));
}

/** Before the first sample, after the last, and at the epoch: all outside any flight. */
function outsideFrames(track: Track): Frame[] {
  let first = Infinity;
  track.observe((s) => void (first = Math.min(first, s.sample.timeMs)))();
  const last = track.newestMs ?? 0;
  return [frameAt(first - HOUR_MS, 100), frameAt(last + HOUR_MS, 101), frameAt(0, 102)];
}

/** A track source, opened from config, once its feed has delivered: the frames follow from its track. */
async function trackCase(source: PositionSource, dispose?: () => Promise<void>): Promise<OpenedPositionSource> {
  const track = source.track as Track;
  return { source, inside: coveredFrames(track), outside: outsideFrames(track), ...(dispose ? { dispose } : {}) };
}

function fixCount(track: Track): number {
  let n = 0;
  track.observe((s) => void (s.kind === 'fix' && s.sample.fix && n++))();
  return n;
}

/** The sample flight's photos (their own EXIF GPS), and the bad frames without a geotag (empty, not a JPEG, no GPS IFD). */
async function photoFrames(): Promise<{ geotagged: Frame[]; untagged: Frame[] }> {
  const geotagged = await readFrames(await ImagesFrameSource.open(SAMPLE_FLIGHT_DIR, silentLogger));
  const untagged = await Promise.all(
    ['empty.jpg', 'not-a-jpeg.jpg', 'no-gps.jpg'].map(async (name, i) =>
      frameAt(Date.UTC(1999, 0, 1) + i, 200 + i, await readFile(join(BAD_FRAMES_DIR, name)), name),
    ),
  );
  return { geotagged, untagged };
}

const CASES: PositionSourceCase[] = [
  {
    name: 'gpsd (a real gpsd fed by gpsfake)',
    source: 'gpsd',
    outside: 'reason',
    health: { type: 'gpsd', input: 'tcp' },
    open: async () => {
      const port = await freeLoopbackPort();
      // Opened before gpsd exists: the source retries while gpsfake starts it, so no epoch is missed.
      const source = await createPositionSource(positionConfig({ type: 'gpsd', gpsd: { port, reconnectMinMs: 100, reconnectMaxMs: 400 } }), silentLogger);
      let fake: GpsfakeRun | undefined;
      try {
        fake = await startGpsfake(nmeaFor(curvedPath(Date.UTC(2026, 10, 27, 12, 0, 0), 10)), port, 0.02);
        const run = fake;
        await until(`gpsd to report fixes (gpsfake: ${run.stderr()})`, () => fixCount(source.track as Track) >= 5);
      } catch (error) {
        await source.close();
        await fake?.stop();
        throw error;
      }
      return trackCase(source, () => (fake as GpsfakeRun).stop());
    },
  },
  {
    name: 'nmea (udp, a live NMEA receiver process)',
    source: 'nmea',
    outside: 'reason',
    health: { type: 'nmea', input: 'udp' },
    open: async () => {
      const source = await createPositionSource(positionConfig({ type: 'nmea', nmea: { input: 'udp', port: 0 } }), silentLogger);
      const port = (source as UdpTrackPositionSource).port as number;
      // 5 Hz epochs stamped with this machine's clock, garbled sentences between them.
      const sender = spawn(
        process.execPath,
        [new URL('../support/nmea-udp-sender.mjs', import.meta.url).pathname, String(port), '[{"kind":"fix","ms":1200}]'],
        {
          stdio: 'ignore',
        },
      );
      await new Promise((resolve) => sender.once('exit', resolve));
      return trackCase(source);
    },
  },
  {
    name: 'nmea (file: a real receiver log)',
    source: 'nmea',
    outside: 'reason',
    health: { type: 'nmea', input: 'file' },
    open: async () =>
      trackCase(
        await createPositionSource(
          positionConfig({ type: 'nmea', nmea: { input: 'file', path: new URL('../fixtures/nmea/neo-m8n.log', import.meta.url).pathname } }),
          silentLogger,
        ),
      ),
  },
  {
    name: 'mavlink (udp, a live MAVLink vehicle process)',
    source: 'mavlink',
    outside: 'reason',
    health: { type: 'mavlink', input: 'udp' },
    open: async () => {
      const source = await createPositionSource(positionConfig({ type: 'mavlink', mavlink: { input: 'udp', port: 0 } }), silentLogger);
      const sender = startFlightSender(`udp:${(source as UdpTrackPositionSource).port as number}`, { phases: [{ armed: false, ms: 1_200 }] });
      await sender.done;
      return trackCase(source);
    },
  },
  {
    name: 'mavlink (tlog: a real flight log)',
    source: 'mavlink',
    outside: 'reason',
    health: { type: 'mavlink', input: 'tlog' },
    open: async () =>
      trackCase(
        await createPositionSource(
          positionConfig({
            type: 'mavlink',
            mavlink: { input: 'tlog', path: new URL('../fixtures/tlog/dronekit_flight_replay_first270s.tlog', import.meta.url).pathname },
          }),
          silentLogger,
        ),
      ),
  },
  {
    name: 'exif (the sample flight photos)',
    source: 'exif',
    outside: 'reason',
    health: null,
    open: async () => {
      const { geotagged, untagged } = await photoFrames();
      return { source: await createPositionSource(positionConfig({ type: 'exif' }), silentLogger), inside: geotagged, outside: untagged };
    },
  },
  {
    name: 'fixed (a configured point)',
    source: 'fixed',
    // A mast has no track: every frame, whatever its time, is at the configured point.
    outside: 'position',
    health: null,
    open: async () => {
      const source = await createPositionSource(positionConfig({ type: 'fixed', fixed: { latDeg: 41.0349, lonDeg: -83.3052, altMslM: 250 } }), silentLogger);
      const now = Date.now();
      return { source, inside: [frameAt(now), frameAt(now + 1_000, 1)], outside: [frameAt(0, 100), frameAt(now + 100 * HOUR_MS, 101)] };
    },
  },
  {
    name: 'none (geotagging off)',
    source: null,
    outside: 'reason',
    health: null,
    open: async () => {
      const { geotagged, untagged } = await photoFrames();
      return { source: await createPositionSource(positionConfig({ type: 'none' }), silentLogger), inside: geotagged.slice(0, 3), outside: untagged };
    },
  },
  {
    name: 'recording (the sample flight imported: telemetry and per-photo geotags)',
    source: 'recording',
    outside: 'reason',
    health: null,
    open: async () => {
      const source = new RecordingPositionSource(flight.telemetry, positionConfig({}).track);
      const replayed = await readFrames(new RecordingFrameSource(flight, { speed: 'max' }));
      const opened = await trackCase(source);
      return { ...opened, inside: [...replayed, ...opened.inside] };
    },
  },
];

/** The clause's test, or its it.fails twin when the entry names a defect (the title says which). */
function clause(c: PositionSourceCase, which: Clause, title: string, body: () => Promise<void>): void {
  const defect = c.defects?.[which];
  if (defect) it.fails(`${title} [fails today: ${defect}]`, body);
  else it(title, body);
}

/** A lookup answer as the port types it: a valid position and no reason, or null and a reason a human can act on. */
function expectAnswer(got: Awaited<ReturnType<PositionSource['positionFor']>>, label: string): void {
  if (got.position === null) {
    expect(typeof got.reason === 'string' && got.reason.trim().length > 0, `${label}: null needs a reason, got ${JSON.stringify(got.reason)}`).toBe(true);
    return;
  }
  const parsed = PositionSchema.safeParse(got.position);
  expect(parsed.success, `${label}: ${JSON.stringify(parsed.error?.issues ?? [])} in ${JSON.stringify(got.position)}`).toBe(true);
  expect(got.reason, `${label}: a position comes without a reason`).toBeUndefined();
}

const label = (f: Frame): string => `${f.name} at ${Number.isFinite(f.capturedAtMs) ? new Date(f.capturedAtMs).toISOString() : f.capturedAtMs}`;

// Each source is opened once (gpsfake and the senders are the slow part) and closed by the last clause.
describe.each(CASES)('PositionSource contract: $name', (c) => {
  let opened: OpenedPositionSource;
  beforeAll(async () => {
    opened = await c.open();
  });
  afterAll(async () => {
    await opened?.source.close();
    await opened?.dispose?.();
  });

  clause(c, 'inside', 'a frame inside what it covers gets a position valid against PositionSchema (none: null and a reason)', async () => {
    expect(opened.inside.length).toBeGreaterThan(0);
    for (const frame of opened.inside) {
      const got = await opened.source.positionFor(frame);
      expectAnswer(got, label(frame));
      if (c.source === null) expect(got.position, label(frame)).toBeNull();
      else expect(got.position?.source, `${label(frame)}: ${got.reason ?? ''}`).toBe(c.source);
    }
  });

  clause(c, 'outside', 'a frame outside its track gets an answer, never a throw: null and a reason (fixed: its point)', async () => {
    expect(opened.outside.length).toBeGreaterThan(0);
    for (const frame of opened.outside) {
      const got = await opened.source.positionFor(frame);
      expectAnswer(got, label(frame));
      if (c.outside === 'reason') expect(got.position, label(frame)).toBeNull();
      else expect(got.position?.source, label(frame)).toBe(c.source);
    }
  });

  clause(
    c,
    'health',
    c.health ? 'health() has the documented shape (the health report’s position part)' : 'has no health() (live telemetry sources only)',
    async () => {
      if (!c.health) {
        expect(opened.source.health).toBeUndefined();
        return;
      }
      expect(opened.source.health).toBeTypeOf('function');
      const health = opened.source.health?.();
      const parsed = PositionHealthSchema.safeParse(health);
      expect(parsed.success, `${JSON.stringify(parsed.error?.issues ?? [])} in ${JSON.stringify(health)}`).toBe(true);
      expect(health).toMatchObject(c.health);
    },
  );

  clause(c, 'close', 'close() is idempotent', async () => {
    await Promise.all([opened.source.close(), opened.source.close()]);
    await expect(opened.source.close()).resolves.toBeUndefined();
  });
});
