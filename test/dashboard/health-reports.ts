// Test helper: health reports at both ends of the schema (every optional field present and non-null; every nullable
// field null and every optional one absent), and the field names in a report that must never reach the screen.
import type { Health } from '../../src/publish/health-schema.js';

/** A Pi 4 mid-survey with a live camera, MAVLink telemetry, GPS time, the thermal cap on and a few faults. */
export function fullHealth(droneId: string): Health {
  return {
    schemaVersion: 1,
    droneId,
    flightId: 'full-flight',
    at: '2026-12-04T09:00:20.000Z',
    windowS: 10,
    fps: 7.5,
    latencyMs: { p50: 140, p99: 310 },
    frames: 120,
    results: 118,
    drops: 2,
    outbox: { depth: 3, oldestAgeMs: 4200, dropped: 0, refused: 0, acknowledged: 115 },
    link: 'up',
    linkDetail: 'connected to mqtt://gs.local:1883',
    broker: { protocolVersion: 5, refusalsVisible: true, publishCheck: 'delivered', publishCheckDetail: 'the retained status came back' },
    cpuTempC: 71.3,
    throttled: 0x30002,
    thermal: {
      firmware: {
        underVoltageNow: false,
        freqCappedNow: true,
        throttledNow: false,
        softTempLimitNow: false,
        underVoltageOccurred: true,
        freqCappedOccurred: true,
        throttledOccurred: false,
        softTempLimitOccurred: false,
      },
      governor: { capped: true, fpsLimit: 4, droppedFrames: 12 },
    },
    camera: { state: 'streaming', present: true, restarts: 1 },
    position: {
      type: 'mavlink',
      input: 'udp',
      link: 'up',
      linkDetail: 'receiving',
      linkLosses: 0,
      lastSampleAgeMs: 120,
      samplesPerS: 4,
      fixType: 3,
      satellites: 11,
      hdop: 0.8,
      garbled: 0,
      droppedPackets: 2,
    },
    clock: { reference: 'gps', source: 'gps', synchronised: true, systemMinusGpsMs: 12, gpsTimeFrom: 'MAVLink SYSTEM_TIME' },
    model: { sha256: 'a'.repeat(64), precision: 'int8', precisionReason: 'measured', fp32P50Ms: 96.4, int8P50Ms: 41.2 },
    faults: {
      counts: { config: 0, input: 2, model: 0, link: 0, hardware: 1, internal: 0 },
      last: { code: 'input', stage: 'preprocess', message: 'corrupt JPEG', at: '2026-12-04T09:00:18.000Z' },
    },
  };
}

/** A report from an earlier version on a machine with nothing to say: every nullable field null, no optional one. */
export function minimalHealth(droneId: string): Health {
  return {
    schemaVersion: 1,
    droneId,
    flightId: 'bare-flight',
    at: '2026-12-04T09:00:20.000Z',
    windowS: 10,
    fps: 0,
    latencyMs: null,
    frames: 0,
    results: 0,
    drops: 0,
    outbox: { depth: 0, oldestAgeMs: null, dropped: 0, refused: 0 },
    link: 'up',
    cpuTempC: null,
    throttled: null,
    camera: null,
  };
}

/** The report's field names that are names in code (camelCase: fp32P50Ms, oldestAgeMs, cpuTempC...), at any depth. */
export function rawKeys(report: unknown): string[] {
  const keys = new Set<string>();
  const walk = (value: unknown) => {
    if (value === null || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (/[a-z][A-Z]/.test(k)) keys.add(k);
      walk(v);
    }
  };
  walk(report);
  return [...keys];
}
