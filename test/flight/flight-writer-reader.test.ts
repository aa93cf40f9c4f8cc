// The recording format round trip: what FlightWriter writes, readFlight reads back; versions, bad lines and the size limit.
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlightWriter, type NewFlight } from '../../src/flight/flight-writer.js';
import { readFlight } from '../../src/flight/flight-reader.js';
import { FlightManifestSchema } from '../../src/flight/recording-format.js';
import { RecordingFrameSource } from '../../src/flight/recording-frame-source.js';

const flight: NewFlight = {
  droneId: 'unit-drone',
  flightId: 'unit-1',
  startedAt: '2026-01-02T03:04:05.000Z',
  origin: 'run',
  camera: { description: 'camera-module-3', hfovDeg: 66, vfovDeg: 41, mountPitchDeg: -90 },
  model: null,
  configSha256: null,
};

const fix = (timeMs: number, latDeg: number) => ({
  kind: 'fix' as const,
  source: 'nmea',
  timeMs,
  fix: { latDeg, lonDeg: 10, altMslM: 100, altAglM: null },
  fixType: 3,
  hdop: 0.9,
  satellites: 10,
  courseDeg: null,
  speedMps: null,
});

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'fieldeye-flight-'));
}

describe('FlightWriter + readFlight', () => {
  it('reads back frames in capture order, telemetry in time order, with the files byte-identical', async () => {
    const dir = join(tmp(), 'f');
    const w = await FlightWriter.create(dir, flight, { maxBytes: null });
    const a = Buffer.from('frame-a'),
      b = Buffer.from('frame-b');
    w.writeFrame({ capturedAtMs: 2000, timeSource: 'sensor', name: 'b.jpg', bytes: b, source: { liveSeq: 1 } });
    w.writeFrame({ capturedAtMs: 1000, timeSource: 'sensor', name: 'a.jpg', bytes: a, source: { liveSeq: 0 } });
    w.writeTelemetry(fix(1500, 2));
    w.writeTelemetry(fix(500, 1));
    w.writeTelemetry({ kind: 'attitude', source: 'gpsd', timeMs: 700, rollDeg: 1, pitchDeg: 2, yawDeg: 3 });
    const manifest = await w.close();
    expect(manifest.end).toMatchObject({ frames: 2, reason: 'source-ended' });

    const read = await readFlight(dir);
    expect(read.problems).toEqual([]);
    expect(read.manifest).toEqual(manifest);
    expect(read.frames.map((f) => f.name)).toEqual(['a.jpg', 'b.jpg']);
    expect(read.telemetry.map((t) => t.timeMs)).toEqual([500, 700, 1500]);
    const [fa] = read.frames;
    expect(readFileSync(join(dir, fa!.file))).toEqual(a);
    expect(fa!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes frames.jsonl in the order frames were handed over, whichever image file finishes first', async () => {
    const dir = join(tmp(), 'f');
    const w = await FlightWriter.create(dir, flight, { maxBytes: null });
    // A large image first and small ones after: their writes finish in the other order.
    w.writeFrame({ capturedAtMs: 1000, timeSource: 'sensor', name: 'big.jpg', bytes: Buffer.alloc(64 << 20, 1), source: {} });
    for (let i = 1; i <= 5; i++) w.writeFrame({ capturedAtMs: 1000 + i, timeSource: 'sensor', name: `small-${i}.jpg`, bytes: Buffer.from([i]), source: {} });
    await w.close();
    const lines = readFileSync(join(dir, 'frames.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps raw yuv420 frames raw, and a replay source hands them back with their layout, in capture order, none dropped', async () => {
    const dir = join(tmp(), 'f');
    const w = await FlightWriter.create(dir, flight, { maxBytes: null });
    const raw = { format: 'i420' as const, width: 4, height: 2, stride: 4 };
    w.writeFrame({ capturedAtMs: 20, timeSource: 'sensor', name: 'cam-1', bytes: Buffer.alloc(12, 2), source: {}, raw });
    w.writeFrame({ capturedAtMs: 10, timeSource: 'sensor', name: 'cam-0', bytes: Buffer.alloc(12, 1), source: {}, raw });
    await w.close();
    const read = await readFlight(dir);
    expect(read.frames.map((f) => f.file)).toEqual(['frames/000001.i420', 'frames/000000.i420']);
    const frames = [];
    for await (const f of new RecordingFrameSource(read, { speed: 'max' }).frames()) frames.push(f);
    expect(frames.map((f) => [f.seq, f.name, f.raw, f.bytes[0]])).toEqual([
      [0, 'cam-0', raw, 1],
      [1, 'cam-1', raw, 2],
    ]);
  });

  it('refuses to write into a folder that already holds a recording', async () => {
    const dir = join(tmp(), 'f');
    await (await FlightWriter.create(dir, flight, { maxBytes: null })).close();
    await expect(FlightWriter.create(dir, flight, { maxBytes: null })).rejects.toThrow(/already holds a recording/);
  });

  it('stops cleanly at the size limit and says so in flight.json', async () => {
    const dir = join(tmp(), 'f');
    const w = await FlightWriter.create(dir, flight, { maxBytes: 2_000 });
    let kept = 0;
    for (let i = 0; i < 10; i++) {
      if (w.writeFrame({ capturedAtMs: i, timeSource: 'sensor', name: `${i}.jpg`, bytes: Buffer.alloc(500, i), source: {} })) kept++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(10);
    expect(w.full).toBe(true);
    const manifest = await w.close('source-ended');
    expect(manifest.end?.reason).toBe('size-limit');
    const read = await readFlight(dir);
    expect(read.frames).toHaveLength(kept);
    expect(read.manifest.end?.bytes).toBeLessThanOrEqual(2_000);
  });

  it('reports bad and cut lines with their line numbers and keeps the rest', async () => {
    const dir = join(tmp(), 'f');
    const w = await FlightWriter.create(dir, flight, { maxBytes: null });
    w.writeTelemetry(fix(1, 1));
    await w.close();
    appendFileSync(join(dir, 'telemetry.jsonl'), '{"kind":"fix","timeMs":"soon"}\n{"kind":"fix","sou');
    const read = await readFlight(dir);
    expect(read.telemetry).toHaveLength(1);
    expect(read.problems).toEqual([
      expect.stringMatching(/^telemetry\.jsonl line 2: /),
      'telemetry.jsonl line 3: not JSON (cut short: the writer did not finish it)',
    ]);
  });

  it('names the folder and the version when the format is not one it reads', async () => {
    const dir = join(tmp(), 'f');
    await (await FlightWriter.create(dir, flight, { maxBytes: null })).close();
    const manifest = FlightManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'flight.json'), 'utf8')));
    writeFileSync(join(dir, 'flight.json'), JSON.stringify({ ...manifest, formatVersion: 2 }));
    await expect(readFlight(dir)).rejects.toThrow(/recording format version 2; this fieldeye reads version 1/);
    await expect(readFlight(tmp())).rejects.toThrow(/no flight\.json in it/);
  });
});
