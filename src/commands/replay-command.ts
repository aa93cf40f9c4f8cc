// `fieldeye replay FLIGHT`: a recorded flight through the same pipeline as `run`, with the recording as frame and position source.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../platform/logger.js';
import { startProgress } from '../platform/progress.js';
import { renderSummaryTable } from './summary-table.js';
import { runFlight } from '../app/run-flight.js';
import { deliveryRows, flightExitCode } from './flight-outcome.js';
import { readFlight } from '../flight/flight-reader.js';
import { RecordingFrameSource } from '../flight/recording-frame-source.js';
import { RecordingPositionSource } from '../flight/recording-position-source.js';

export interface ReplayCommandOptions {
  config?: string;
  speed: string;
  from?: string;
  to?: string;
  model?: string;
  out?: string;
  publish: boolean;
  maxFrames?: number;
  /** Play the recording this many times (default 1). */
  loop?: number;
  summaryJson?: string;
}

/** "max", or a factor above 0 (1 = real time). */
export function parseSpeed(text: string): number | 'max' {
  if (text === 'max') return 'max';
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--speed: expected "max" or a number above 0 (1 = real time), received "${text}"`);
  return n;
}

/**
 * A replay bound: seconds from the first frame ("90", "12.5"), [h:]mm:ss from the first frame ("1:30"), or an
 * ISO 8601 time with a zone ("2013-06-04T17:38:20Z").
 */
export function parseReplayTime(option: string, text: string, firstFrameMs: number): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return firstFrameMs + Number(t) * 1000;
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(t);
  if (clock) return firstFrameMs + (Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3])) * 1000;
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(t) && Number.isFinite(Date.parse(t))) return Date.parse(t);
  throw new Error(
    `${option}: expected seconds from the first frame (90), [h:]mm:ss (1:30) or an ISO time with a zone (2013-06-04T17:38:20Z), received "${text}"`,
  );
}

export async function replayCommand(flightDir: string, opts: ReplayCommandOptions): Promise<number> {
  const speed = parseSpeed(opts.speed);
  const flight = await readFlight(flightDir);
  const firstMs = flight.frames[0]?.capturedAtMs ?? 0;
  const fromMs = opts.from !== undefined ? parseReplayTime('--from', opts.from, firstMs) : undefined;
  const toMs = opts.to !== undefined ? parseReplayTime('--to', opts.to, firstMs) : undefined;
  const out = opts.out !== undefined ? resolve(opts.out) : undefined;
  // The results sink appends; a replay's file must hold this replay only, or comparing it means nothing.
  if (out !== undefined && existsSync(out))
    throw new Error(`--out ${out}: already exists; a replay writes a fresh results file, so remove it or choose another name`);

  const loaded = loadConfig(opts.config ?? null).config;
  // The recording's identity, so a replay's results line up with the recorded ones; publishing only when asked.
  const config: Config = {
    ...loaded,
    droneId: flight.manifest.droneId,
    flightId: flight.manifest.flightId,
    model: { ...loaded.model, path: opts.model !== undefined ? resolve(opts.model) : loaded.model.path },
    sinks: { jsonl: { ...loaded.sinks.jsonl, enabled: false }, mqtt: { ...loaded.sinks.mqtt, enabled: opts.publish } },
    record: { ...loaded.record, enabled: false },
  };
  const secrets = resolveSecrets(config);
  // On a terminal the table below says what the info lines would (model, clock, summary): a person reads it first.
  const logger = createLogger({ level: config.log.level, prettyLevel: 'warn' });
  for (const problem of flight.problems) logger.warn({ flight: flight.dir }, problem);

  const stop = new AbortController();
  const source = new RecordingFrameSource(flight, {
    speed,
    signal: stop.signal,
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    ...(opts.maxFrames !== undefined ? { maxFrames: opts.maxFrames } : {}),
    ...(opts.loop !== undefined ? { loops: opts.loop } : {}),
  });
  const onSignal = () => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const progress = startProgress('replay', source.expectedCount);
  try {
    const outcome = await runFlight(config, secrets, logger, {
      input: async () => ({
        source,
        position: new RecordingPositionSource(flight.telemetry, config.position.track),
      }),
      ...(out !== undefined ? { outPath: out } : {}),
      signal: stop.signal,
      onResult: () => progress.tick(),
    });
    progress.done();
    await new Promise<void>((done) => logger.flush(() => done()));
    const extra: Record<string, string> = {
      flight: outcome.flightId,
      replayed: flight.dir,
      speed: String(speed),
      model: outcome.modelDescription,
      'model sha256': outcome.modelSha256.slice(0, 16),
    };
    if (outcome.resultsFile) extra['results file'] = outcome.resultsFile;
    Object.assign(extra, deliveryRows(outcome));
    process.stdout.write(`${renderSummaryTable(outcome.summary, extra)}\n`);
    if (outcome.modelNotice !== null) process.stderr.write(`fieldeye: note: ${outcome.modelNotice}\n`);
    if (opts.summaryJson !== undefined) await writeFile(resolve(opts.summaryJson), `${JSON.stringify({ ...outcome.summary, ...extra }, null, 2)}\n`);
    return flightExitCode(outcome, stop.signal.aborted);
  } finally {
    progress.done();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
