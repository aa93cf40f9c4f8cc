// Builds schema-valid results for the publish tests, so each test states only the fields it is about.
import { RESULT_SCHEMA_VERSION, type Result } from '../../src/publish/result-schema.js';

export function sampleResult(seq: number, overrides: Partial<Result> = {}): Result {
  const capturedAt = new Date(Date.UTC(2013, 5, 4, 13, 40, 0) + seq * 2_000).toISOString();
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    droneId: 'drone-test',
    flightId: 'flight-20130604-134000',
    seq,
    capturedAt,
    timeSource: 'exif',
    frame: { name: `frame-${String(seq).padStart(3, '0')}.jpg` },
    position: {
      latDeg: 41.0349 + seq * 0.00009,
      lonDeg: -83.3052,
      altMslM: 276.2,
      altAglM: 60,
      source: 'exif',
      fixType: 3,
      hdop: null,
      satellites: null,
      sampleAgeMs: 0,
      courseDeg: null,
      attitude: null,
    },
    positionReason: null,
    target: null,
    footprint: null,
    footprintReason: 'no height above ground in this sample',
    top: [
      { index: 3, label: 'crop', score: 0.82 },
      { index: 1, label: 'bare soil', score: 0.11 },
    ],
    model: { name: 'resnet18-test', sha256: 'a'.repeat(64), precision: 'int8' },
    timingsMs: { decode: 4.1, preprocess: 2.3, inference: 31.5, total: 38.2 },
    ...overrides,
  };
}
