// Runs test/support/mavlink-flight-sender.mjs (a scripted MAVLink vehicle in a second process), collects what it reports,
// and opens the receiving end the tests share.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MavlinkPositionSource, type MavlinkInput } from '../../src/geo/mavlink-position-source.js';
import { DEFAULT_TRACK_OPTIONS, type TrackOptions } from '../../src/geo/track.js';

export interface FlightScenario {
  phases?: Array<{ armed: boolean; ms: number }>;
  rateHz?: number;
  altAglM?: number;
  speedMps?: number;
  yawDeg?: number;
  gpsAheadMs?: number;
  gimbal?: { pitchDeg: number; yawDeg?: number; frame: 'vehicle' | 'earth' };
  dropEvery?: number;
}

export interface SenderReport {
  bootEpochMs: number;
  /** When each phase's first HEARTBEAT was sent (this machine's clock). */
  phases: Array<{ armed: boolean; atMs: number }>;
  /** Vehicle packets the sender dropped after numbering them, and how many it numbered. */
  dropped: number;
  sent: number;
}

export interface RunningSender {
  child: ChildProcess;
  /** Resolves when the sender has sent its whole scenario and exited. */
  done: Promise<SenderReport>;
}

/** `target`: "udp:<port>" or "tty:<device path>". */
export function startFlightSender(target: string, scenario: FlightScenario): RunningSender {
  const child = spawn(process.execPath, [new URL('./mavlink-flight-sender.mjs', import.meta.url).pathname, target, JSON.stringify(scenario)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = (async (): Promise<SenderReport> => {
    const report: SenderReport = { bootEpochMs: 0, phases: [], dropped: 0, sent: 0 };
    let finished = false;
    for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
      const msg = JSON.parse(line) as { event: string; bootEpochMs?: number; armed?: boolean; atMs?: number; dropped?: number; sent?: number };
      if (msg.event === 'start') report.bootEpochMs = msg.bootEpochMs as number;
      if (msg.event === 'phase') report.phases.push({ armed: msg.armed as boolean, atMs: msg.atMs as number });
      if (msg.event === 'done') {
        report.dropped = msg.dropped as number;
        report.sent = msg.sent as number;
        finished = true;
      }
    }
    if (!finished) throw new Error(`mavlink-flight-sender ended early: ${stderr}`);
    return report;
  })();
  return { child, done };
}

/** A live MAVLink source that follows the first autopilot heard, answers at once (no waiting) and calls 3 s of silence a lost link. */
export function openLiveMavlink(input: Exclude<MavlinkInput, { type: 'tlog' }>, track: TrackOptions = DEFAULT_TRACK_OPTIONS): Promise<MavlinkPositionSource> {
  return MavlinkPositionSource.open({ input, track, waitForSampleMs: 0, linkTimeoutMs: 3_000, systemId: 0, componentId: 0 });
}
