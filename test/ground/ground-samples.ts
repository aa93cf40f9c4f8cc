// Builds schema-valid ground-store inputs (results with and without position and footprint, health, flight) for the ground tests.
import { squareFootprint } from '../support/square-footprint.js';
import { sampleResult } from '../publish/sample-result.js';
import type { Result } from '../../src/publish/result-schema.js';
import type { Health } from '../../src/publish/health-schema.js';
import type { Flight } from '../../src/publish/flight-schema.js';
import type { GroundRecord } from '../../src/ground/ground-store.js';

/** A result of `droneId`'s flight; every third one has no position, the others a footprint around the point. */
export function groundResult(droneId: string, flightId: string, seq: number): Result {
  const base = sampleResult(seq, { droneId, flightId });
  if (seq % 3 === 2) return { ...base, position: null, positionReason: 'no fix yet' };
  const lat = base.position?.latDeg ?? 0;
  const lon = base.position?.lonDeg ?? 0;
  const d = 0.00005;
  return {
    ...base,
    target: { latDeg: lat, lonDeg: lon },
    footprint: squareFootprint(lat, lon, d),
    footprintReason: null,
  };
}

export function sampleHealth(droneId: string, flightId: string, at: string): Health {
  return {
    schemaVersion: 1,
    droneId,
    flightId,
    at,
    windowS: 10,
    fps: 9.5,
    latencyMs: { p50: 40, p99: 80 },
    frames: 100,
    results: 99,
    drops: 1,
    outbox: { depth: 2, oldestAgeMs: 120, dropped: 0, refused: 0, acknowledged: 97 },
    link: 'up',
    cpuTempC: 61.2,
    throttled: 0,
    camera: null,
  };
}

export function sampleFlight(droneId: string, flightId: string, endedAt: string | null = null): Flight {
  return {
    schemaVersion: 1,
    droneId,
    flightId,
    startedAt: '2013-06-04T13:40:00.000Z',
    kind: 'run',
    endedAt,
    model: { name: 'resnet18-test', architecture: 'resnet18', sha256: 'a'.repeat(64), precision: 'int8', inputShape: [1, 3, 224, 224], classes: 5 },
    configSha256: 'b'.repeat(64),
    software: { name: 'fieldeye', version: '0.1.0' },
  };
}

const at = '2024-05-01T10:00:00.000Z';

export function resultRecord(result: Result): GroundRecord {
  return { kind: 'result', topic: `fieldeye/v1/${result.droneId}/result`, receivedAt: at, result };
}

/** One of every kind of record the stores take, for drone `droneId`: n results, health, flight, status, a rejected message. */
export function mixedBatch(droneId: string, flightId: string, n: number): GroundRecord[] {
  const results = Array.from({ length: n }, (_, seq) => resultRecord(groundResult(droneId, flightId, seq)));
  return [
    ...results,
    { kind: 'health', topic: `fieldeye/v1/${droneId}/health`, receivedAt: at, health: sampleHealth(droneId, flightId, at) },
    { kind: 'flight', topic: `fieldeye/v1/${droneId}/flight`, receivedAt: at, flight: sampleFlight(droneId, flightId) },
    { kind: 'status', topic: `fieldeye/v1/${droneId}/status`, receivedAt: at, droneId, status: 'online' },
    {
      kind: 'rejected',
      topic: `fieldeye/v1/${droneId}/result`,
      receivedAt: at,
      rejected: { reason: 'result: not JSON', excerpt: '{nope', payloadBytes: 5, payloadSha256: 'c'.repeat(64) },
    },
    { kind: 'ignored', topic: `fieldeye/v1/${droneId}/thumb/1`, receivedAt: at, why: 'thumbnails are not stored' },
  ];
}
