// End to end: `fieldeye run` records the flight (record.enabled), `fieldeye replay` runs it again through the same
// pipeline; replays are deterministic and reproduce the live results, with positions from the recorded telemetry.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import { compareResults } from '../../src/flight/compare-results.js';
import type { Result } from '../../src/publish/result-schema.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';
import { sampleFlightExpected, sampleFlightNmea } from '../support/sample-flight-nmea.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-replay-e2e-'));
});

function config(name: string, lines: string[]): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    ['log: { level: warn }', `flightId: ${name}`, `source: { type: images, dir: ${FLIGHT} }`, 'sinks: { mqtt: { enabled: false } }', ...lines].join('\n') +
      '\n',
  );
  return file;
}

async function results(path: string): Promise<Result[]> {
  const read = await readResults(path);
  expect(read.problems).toEqual([]);
  return read.items;
}

async function cli(args: string[]): Promise<void> {
  const run = await runCli(args);
  expect(run.code, run.stdout + run.stderr).toBe(0);
}

describe('record during run, then replay', () => {
  it('records every frame, its geotag and result; replays twice identically and reproduces the live results', async () => {
    const rec = join(work, 'rec');
    const live = join(work, 'live.jsonl');
    await cli(['run', '--config', config('exif-flight', [`record: { enabled: true, dir: ${rec} }`]), '--out', live]);
    const flight = await readFlight(join(rec, 'exif-flight'));
    expect(flight.problems).toEqual([]);
    expect(flight.manifest.end).toMatchObject({ frames: 12, reason: 'source-ended' });
    expect(flight.manifest.model?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(flight.frames).toHaveLength(12);
    expect(flight.telemetry.filter((t) => t.kind === 'fix')).toHaveLength(12);
    // The frames are the camera's bytes, unchanged.
    for (const f of flight.frames) expect(readFileSync(join(flight.dir, f.file))).toEqual(readFileSync(join(FLIGHT, f.name)));

    const a = join(work, 'replay-a.jsonl');
    const b = join(work, 'replay-b.jsonl');
    await cli(['replay', flight.dir, '--speed', 'max', '--out', a]);
    await cli(['replay', flight.dir, '--speed', 'max', '--out', b]);
    const [ra, rb, rLive, rRecorded] = await Promise.all([results(a), results(b), results(live), results(join(flight.dir, 'results.jsonl'))]);
    expect(ra).toHaveLength(12);
    // Determinism: everything but the timings, bit for bit, in the same order.
    expect(compareResults(ra, rb)).toEqual({ sameOrder: true, onlyInA: [], onlyInB: [], differences: [] });
    expect(ra.map((r) => r.seq)).toEqual(rb.map((r) => r.seq));
    expect(ra.map((r) => r.timingsMs)).not.toEqual(rb.map((r) => r.timingsMs));
    // Round trip: the replay is the live run, except where the position came from (recorded telemetry, not EXIF,
    // which gives no fix type; the recorder stores an EXIF geotag as a 3D fix).
    expect(compareResults(ra, rLive, ['position.source', 'position.fixType'])).toEqual({ sameOrder: true, onlyInA: [], onlyInB: [], differences: [] });
    expect(compareResults(rRecorded, rLive)).toMatchObject({ differences: [] });
    expect(ra.every((r) => r.position?.source === 'recording')).toBe(true);

    // --from/--to pick frames by capture time (every 2 s from the first); nothing else changes.
    const part = join(work, 'replay-part.jsonl');
    await cli(['replay', flight.dir, '--from', '4', '--to', '0:10', '--speed', '8', '--out', part]);
    const rp = await results(part);
    expect(rp.map((r) => r.frame.name)).toEqual(['frame-002.jpg', 'frame-003.jpg', 'frame-004.jpg', 'frame-005.jpg']);
    expect(compareResults(rp, ra, ['seq'])).toMatchObject({ onlyInA: [], differences: [] });

    // A replay never appends to an older results file.
    const again = await runCli(['replay', flight.dir, '--out', a]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('keeps raw NMEA telemetry; the replay interpolates the same positions from it', async () => {
    const expected = sampleFlightExpected();
    const { points, nmea } = sampleFlightNmea(expected);
    writeFileSync(join(work, 'flight.nmea'), nmea);
    const rec = join(work, 'rec');
    const live = join(work, 'nmea-live.jsonl');
    const cfg = config('nmea-flight', [
      'position:',
      '  type: nmea',
      '  nmea: { input: file, path: flight.nmea }',
      `  camera: { groundElevationMslM: ${expected.track.groundMslM} }`,
      `record: { enabled: true, dir: ${rec}, everyNth: 3 }`,
    ]);
    await cli(['run', '--config', cfg, '--out', live]);
    const flight = await readFlight(join(rec, 'nmea-flight'));
    // Every third frame, but every fix of the log.
    expect(flight.frames.map((f) => f.name)).toEqual(['frame-000.jpg', 'frame-003.jpg', 'frame-006.jpg', 'frame-009.jpg']);
    const fixes = flight.telemetry.filter((t) => t.kind === 'fix');
    expect(fixes).toHaveLength(points.length);
    expect(new Set(fixes.map((f) => f.source))).toEqual(new Set(['nmea']));

    const out = join(work, 'nmea-replay.jsonl');
    await cli(['replay', flight.dir, '--config', cfg, '--out', out]);
    const replayed = await results(out);
    const liveResults = await results(live);
    expect(replayed).toHaveLength(4);
    expect(replayed.every((r) => r.position !== null && r.target !== null)).toBe(true);
    // Same positions, targets and footprints as live; seq differs (the recording numbers its own frames).
    expect(compareResults(replayed, liveResults, ['seq', 'position.source'])).toMatchObject({ onlyInA: [], sameOrder: true, differences: [] });
  });

  it('stops recording cleanly at record.maxGb while the flight goes on, and the part recorded replays', async () => {
    const rec = join(work, 'rec');
    const live = join(work, 'limit-live.jsonl');
    // About 250 KB: three or so of the ~80 KB frames.
    await cli(['run', '--config', config('limited', [`record: { enabled: true, dir: ${rec}, maxGb: 0.00025 }`]), '--out', live]);
    expect(await results(live)).toHaveLength(12);
    const flight = await readFlight(join(rec, 'limited'));
    expect(flight.manifest.end?.reason).toBe('size-limit');
    expect(flight.manifest.end?.bytes).toBeLessThanOrEqual(250_000);
    expect(flight.frames.length).toBeGreaterThan(0);
    expect(flight.frames.length).toBeLessThan(12);
    const recorded = await results(join(flight.dir, 'results.jsonl'));
    expect(recorded.map((r) => r.frame.name)).toEqual(flight.frames.map((f) => f.name));
    const out = join(work, 'limit-replay.jsonl');
    await cli(['replay', flight.dir, '--out', out]);
    expect((await results(out)).map((r) => r.frame.name)).toEqual(flight.frames.map((f) => f.name));
  });
});
