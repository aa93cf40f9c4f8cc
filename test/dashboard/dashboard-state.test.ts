// The dashboard's memory on its own: topics to drones, schema validation with diagnostics, dedupe, the flight
// switch rules and the bounds (results, thumbnails, drones, diagnostics).
import { describe, expect, it } from 'vitest';
import { DashboardState } from '../../src/dashboard/dashboard-state.js';
import type { DashboardEvent } from '../../src/dashboard/dashboard-types.js';
import { printableExcerpt } from '../../src/dashboard/diagnostics-log.js';
import { topicLayout } from '../../src/publish/topic-layout.js';
import { contentSecurityPolicy } from '../../src/dashboard/dashboard-server.js';
import { parseTileSource } from '../../src/dashboard/tile-source.js';
import { sampleResult } from '../publish/sample-result.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0xff, 0xd9]);

function state(bounds: Partial<{ maxDrones: number; maxResultsPerDrone: number; maxThumbsPerDrone: number; diagnosticsKept: number }> = {}) {
  const s = new DashboardState({
    layout: topicLayout('fieldeye/v1/{droneId}/', 'drone-1'),
    maxDrones: 4,
    maxResultsPerDrone: 100,
    maxThumbsPerDrone: 10,
    diagnosticsKept: 5,
    ...bounds,
  });
  const events: DashboardEvent[] = [];
  s.subscribe((e) => events.push(e));
  return { s, events };
}

const json = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const resultTopic = 'fieldeye/v1/drone-test/result';

describe('topicLayout', () => {
  it('subscribes to every drone and names drone and kind of each topic', () => {
    const layout = topicLayout('fieldeye/v1/{droneId}/', 'x');
    expect(layout.filter).toBe('fieldeye/v1/+/#');
    expect(layout.parse('fieldeye/v1/d-1/result')).toEqual({ droneId: 'd-1', kind: 'result', seq: null });
    expect(layout.parse('fieldeye/v1/d-1/thumb/42')).toEqual({ droneId: 'd-1', kind: 'thumb', seq: 42 });
    expect(layout.parse('fieldeye/v1/d-1/preflight')).toHaveProperty('ignored');
    expect(layout.parse('fieldeye/v1/<b>/result')).toHaveProperty('ignored');
    expect(topicLayout('site/{droneId}/fe/', 'x').filter).toBe('site/+/fe/#');
    expect(topicLayout('single/', 'only').parse('single/status')).toEqual({ droneId: 'only', kind: 'status', seq: null });
  });

  it('refuses a prefix whose {droneId} is not a whole topic level, naming the key', () => {
    expect(() => topicLayout('fieldeye/v1/d-{droneId}/', 'x')).toThrow(/^sinks\.mqtt\.topicPrefix: .*received "fieldeye\/v1\/d-\{droneId\}\/"/);
  });
});

describe('DashboardState', () => {
  it('keeps valid results with class counts and refuses malformed payloads into diagnostics, as escaped excerpts', () => {
    const { s } = state();
    s.ingest(resultTopic, json(sampleResult(0)));
    s.ingest(resultTopic, json(sampleResult(1, { top: [{ index: 7, label: 'weeds', score: 0.9 }] })));
    s.ingest(resultTopic, json(sampleResult(2)));
    s.ingest(resultTopic, Buffer.from('<script>alert(1)</script>\u0007'));
    s.ingest(resultTopic, json({ ...sampleResult(3), extra: '<img src=x onerror=alert(1)>' }));
    s.ingest('fieldeye/v1/drone-test/health', json({ fps: 'fast' }));
    s.ingest('fieldeye/v1/drone-test/status', Buffer.from('maybe'));
    s.ingest('fieldeye/v1/drone-test/thumb/1', Buffer.from('not a jpeg'));
    s.ingest('fieldeye/v1/other/result', json(sampleResult(4)));
    s.ingest('fieldeye/v1/drone-test/preflight', json({ go: true }));

    const snap = s.snapshot();
    const drone = snap.drones.find((d) => d.drone.droneId === 'drone-test');
    // seq 3 carries a field this dashboard does not know (a newer drone): read without it, never shown.
    expect(drone?.results.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(JSON.stringify(drone)).not.toContain('onerror');
    expect(drone?.drone.counts).toEqual([
      { index: 3, label: 'crop', count: 3 },
      { index: 7, label: 'weeds', count: 1 },
    ]);
    expect(snap.diagnostics.malformed).toBe(5);
    expect(snap.diagnostics.ignored).toBe(1);
    expect(snap.diagnostics.recent.map((d) => d.problem)).toEqual(['ignored', 'drone-mismatch', 'thumb', 'status', 'schema']);
    const schema = snap.diagnostics.recent.find((d) => d.problem === 'schema');
    expect(schema?.detail).toMatch(/^schemaVersion: .*droneId: .*\(\+\d+ more\)$/);
  });

  it('shows control characters as escapes and truncates long payloads', () => {
    expect(printableExcerpt(Buffer.from('a\u0007b\nc'))).toBe('a\\u0007b\\u000ac');
    const long = printableExcerpt(Buffer.from('x'.repeat(1000)));
    expect(long).toBe(`${'x'.repeat(200)}…`);
  });

  it('ignores duplicates, keeps the newest results within the bound and counts every result', () => {
    const { s, events } = state({ maxResultsPerDrone: 3 });
    for (const seq of [0, 1, 1, 2, 3, 4]) s.ingest(resultTopic, json(sampleResult(seq)));
    s.ingest(resultTopic, json(sampleResult(0)));
    const drone = s.snapshot().drones[0];
    expect(drone?.results.map((r) => r.seq)).toEqual([2, 3, 4]);
    expect(drone?.drone).toMatchObject({ results: 5, evicted: 2, duplicates: 2 });
    expect(drone?.drone.counts).toEqual([{ index: 3, label: 'crop', count: 5 }]);
    expect(events.filter((e) => e.type === 'evicted').flatMap((e) => (e.type === 'evicted' ? e.seqs : []))).toEqual([0, 1]);
  });

  it('switches flight on a new flight document, and ignores an older flight that still drains afterwards', () => {
    const { s, events } = state();
    s.ingest(resultTopic, json(sampleResult(0)));
    const flight = {
      schemaVersion: 1,
      droneId: 'drone-test',
      flightId: 'new-flight',
      startedAt: '2013-06-04T14:00:00.000Z',
      configSha256: 'b'.repeat(64),
      software: { name: 'fieldeye', version: '0.1.0' },
    };
    const model = { name: 'm', architecture: 'resnet18', sha256: 'a'.repeat(64), precision: 'int8', inputShape: [1, 3, 224, 224], classes: 1000 };
    s.ingest('fieldeye/v1/drone-test/flight', json({ ...flight, model }));
    expect(events.some((e) => e.type === 'flight-reset' && e.flightId === 'new-flight')).toBe(true);
    s.ingest(resultTopic, json(sampleResult(1)));
    s.ingest(resultTopic, json(sampleResult(0, { flightId: 'new-flight' })));
    const drone = s.snapshot().drones[0];
    expect(drone?.drone).toMatchObject({ flightId: 'new-flight', results: 1, otherFlight: 1 });
    expect(drone?.results.map((r) => r.seq)).toEqual([0]);
  });

  it('keeps the flight just flown on the map when the drone lands and opens a ground flight (MAVLink)', () => {
    const { s } = state();
    const doc = (flightId: string, kind: string) =>
      json({
        schemaVersion: 1,
        droneId: 'drone-test',
        flightId,
        startedAt: '2013-06-04T13:40:00.000Z',
        kind,
        endedAt: null,
        model: { name: 'm', architecture: 'resnet18', sha256: 'a'.repeat(64), precision: 'int8', inputShape: [1, 3, 224, 224], classes: 1000 },
        configSha256: 'b'.repeat(64),
        software: { name: 'fieldeye', version: '0.1.0' },
      });
    s.ingest('fieldeye/v1/drone-test/flight', doc('flight-20130604-134000', 'armed'));
    s.ingest(resultTopic, json(sampleResult(0)));
    s.ingest('fieldeye/v1/drone-test/flight', doc('flight-20130604-134000-landed', 'ground'));
    s.ingest(resultTopic, json(sampleResult(0, { flightId: 'flight-20130604-134000-landed' })));
    let drone = s.snapshot().drones[0]?.drone;
    expect(drone).toMatchObject({ flightId: 'flight-20130604-134000', results: 1, otherFlight: 1, ground: { flightId: 'flight-20130604-134000-landed' } });
    s.ingest('fieldeye/v1/drone-test/flight', doc('flight-2', 'armed'));
    drone = s.snapshot().drones[0]?.drone;
    expect(drone).toMatchObject({ flightId: 'flight-2', results: 0, ground: null });
  });

  it("keeps the current flight's capture span, in whatever order results arrive, and starts it again with a new flight", () => {
    const { s } = state();
    const capture = () => s.snapshot().drones[0]?.drone.capture;
    s.ingest(resultTopic, json(sampleResult(3)));
    expect(capture()).toEqual({ firstAt: '2013-06-04T13:40:06.000Z', lastAt: '2013-06-04T13:40:06.000Z' });
    // A late outbox drain of earlier frames moves the start back; a duplicate or a later frame moves only the end.
    s.ingest(resultTopic, json(sampleResult(1)));
    s.ingest(resultTopic, json(sampleResult(5)));
    s.ingest(resultTopic, json(sampleResult(2)));
    expect(capture()).toEqual({ firstAt: '2013-06-04T13:40:02.000Z', lastAt: '2013-06-04T13:40:10.000Z' });
    s.ingest(resultTopic, json(sampleResult(7, { flightId: 'flight-2', capturedAt: '2013-06-04T15:00:00.000Z' })));
    expect(capture()).toEqual({ firstAt: '2013-06-04T15:00:00.000Z', lastAt: '2013-06-04T15:00:00.000Z' });
  });

  it('keeps thumbnails of the current flight within the bound, and only whole JPEGs', () => {
    const { s } = state({ maxThumbsPerDrone: 2 });
    s.ingest(resultTopic, json(sampleResult(0)));
    for (const seq of [0, 1, 2]) s.ingest(`fieldeye/v1/drone-test/thumb/${seq}`, JPEG, { flightId: 'flight-20130604-134000' });
    s.ingest('fieldeye/v1/drone-test/thumb/3', JPEG, { flightId: 'some-other-flight' });
    expect(s.snapshot().drones[0]?.thumbs).toEqual([1, 2]);
    expect(s.thumb('drone-test', 'flight-20130604-134000', 2)).toEqual(JPEG);
    expect(s.thumb('drone-test', 'flight-20130604-134000', 0)).toBeUndefined();
    expect(s.snapshot().drones[0]?.drone.otherFlight).toBe(1);
  });

  it('tracks at most maxDrones drones and keeps at most diagnosticsKept entries', () => {
    const { s } = state({ maxDrones: 2, diagnosticsKept: 2 });
    for (const id of ['a', 'b', 'c', 'd']) s.ingest(`fieldeye/v1/${id}/status`, Buffer.from('online'));
    const snap = s.snapshot();
    expect(snap.drones.map((d) => d.drone.droneId)).toEqual(['a', 'b']);
    expect(snap.diagnostics.malformed).toBe(2);
    expect(snap.diagnostics.recent).toHaveLength(2);
    expect(snap.diagnostics.recent[0]?.problem).toBe('capacity');
  });
});

describe('Content-Security-Policy', () => {
  it('allows scripts and styles from the dashboard only, and images from a configured tile server', () => {
    const none = contentSecurityPolicy(parseTileSource('', '--tiles'));
    expect(none).toContain("script-src 'self'");
    expect(none).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const osm = contentSecurityPolicy(parseTileSource('https://{s}.tile.example.org/{z}/{x}/{y}.png', '--tiles'));
    expect(osm).toMatch(/img-src 'self' blob: https:\/\/\*\.tile\.example\.org(;|$)/);
    expect(() => parseTileSource('https://tiles.example/{z}.png', '--tiles')).toThrow(/^--tiles: a tile URL template needs \{z\}, \{x\} and \{y\}/);
    expect(() => parseTileSource('/nonexistent/tiles', '--tiles')).toThrow(/neither an http\(s\) tile URL template nor an existing folder/);
  });
});
