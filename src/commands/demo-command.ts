// `fieldeye demo` (what `npm start` runs): a simulated survey flown through the real pipeline with a head fitted on another simulated field, published to an embedded broker, shown on the dashboard, scored against the simulator's ground truth.
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import { runFlight } from '../app/run-flight.js';
import { RecordingFrameSource } from '../flight/recording-frame-source.js';
import { RecordingPositionSource } from '../flight/recording-position-source.js';
import { startDashboard, type RunningDashboard } from '../app/start-dashboard.js';
import { ensureSimulatedFlight } from '../sim/cached-simulation.js';
import { exportResults } from '../flight/export-results.js';
import { readFlight } from '../flight/flight-reader.js';
import { scoreAgainstTruth } from '../sim/truth-accuracy.js';
import { ensureDemoModel } from '../sim/demo-model.js';
import { formatClassificationReport } from '../model/head-metrics.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { packageRoot } from '../platform/package-root.js';
import { renderSummaryTable } from './summary-table.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../publish/embedded-broker.js';
import type { Result } from '../publish/result-schema.js';
import { generatedModelsDir } from '../app/resolve-model.js';
import { parseSpeed } from './replay-command.js';
import { parseArea } from './simulate-command.js';

export interface DemoCommandOptions {
  speed: string;
  exit: boolean;
  port?: number;
  cache?: string;
  /** Hidden: a smaller field for both flights (tests); the demo itself surveys DEMO_AREA. */
  area?: string;
}

/** The field the demo model's head is fitted on. */
export const DEMO_TRAIN_SEED = 101;
/** The field the demo surveys: another seed, so the accuracy is measured on ground the head never saw. */
export const DEMO_SURVEY_SEED = 202;
/** 300x200 m at 30 m and 5 m/s: 176 frames, about 8.5 minutes of flight. */
export const DEMO_AREA = '300x200';
const DEMO_ALT_M = 30;
const DEMO_SPEED_MPS = 5;
const DEMO_DRONE_ID = 'demo-drone';

/** The configured embedded-broker port, or any free one when it is taken (a machine with Mosquitto on 1883). */
async function startBroker(preferredPort: number, logger: Logger): Promise<EmbeddedBroker> {
  try {
    return await startEmbeddedBroker({ host: '127.0.0.1', port: preferredPort }, logger);
  } catch (err) {
    if (preferredPort === 0 || ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') throw err;
    return startEmbeddedBroker({ host: '127.0.0.1', port: 0 }, logger);
  }
}

/** The dashboard on `config.dashboard.port`; when that is the default and taken, on any free port (an explicit --port is kept). */
async function startDemoDashboard(config: Config, brokerUrl: string, token: string | null, portGiven: boolean, logger: Logger): Promise<RunningDashboard> {
  const start = (port: number) =>
    startDashboard({ config: { ...config, dashboard: { ...config.dashboard, port } }, secrets: {}, broker: brokerUrl, token, modelPath: null, logger });
  try {
    return await start(config.dashboard.port);
  } catch (err) {
    // startDashboard reports the listen error's code in its message only.
    if (portGiven || config.dashboard.port === 0 || !(err as Error).message.includes('EADDRINUSE')) throw err;
    return start(0);
  }
}

function pct(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(1)} %`;
}

// eslint-disable-next-line max-lines-per-function -- composition root of the demo, still to be carved like runFlight (noted on issue 16)
export async function demoCommand(opts: DemoCommandOptions): Promise<number> {
  const speed = parseSpeed(opts.speed);
  const area = parseArea(opts.area ?? DEMO_AREA);
  if (opts.port !== undefined && opts.port > 65535) throw new Error(`--port: expected a port between 0 and 65535 (0 = any free port), received ${opts.port}`);
  const cacheDir = resolve(opts.cache ?? join(packageRoot(), '.cache', 'demo'));
  const loaded = loadConfig(null).config;
  const level = (process.env['FIELDEYE_LOG_LEVEL'] ?? 'info') as 'info';
  // Stdout is the demo's report; logs go to stderr: the model build's progress at info, the running pipeline at warn.
  const logger = createLogger({ level, pretty: process.stderr.isTTY === true, destination: 2 });
  const quiet = logger.child({}, { level: process.env['FIELDEYE_LOG_LEVEL'] ?? 'warn' });
  const say = (line: string) => process.stderr.write(`fieldeye demo: ${line}\n`);
  const print = (line: string) => process.stdout.write(`${line}\n`);

  const config: Config = {
    ...loaded,
    droneId: DEMO_DRONE_ID,
    sinks: {
      jsonl: { ...loaded.sinks.jsonl, enabled: false },
      mqtt: { ...loaded.sinks.mqtt, enabled: true, protocolVersion: 4, outbox: { ...loaded.sinks.mqtt.outbox, path: join(cacheDir, 'outbox.sqlite') } },
    },
    record: { ...loaded.record, enabled: false },
    dashboard: { ...loaded.dashboard, ...(opts.port !== undefined ? { port: opts.port } : {}) },
  };
  const tokenEnv = config.dashboard.tokenEnv === '' ? '' : (process.env[config.dashboard.tokenEnv] ?? '');

  const cleanups: Array<() => Promise<void>> = [];
  try {
    // Broker and dashboard first: the page is up while the model is built on a first start.
    const broker = await startBroker(config.sinks.mqtt.embeddedBrokerPort, quiet.child({ stage: 'broker' }));
    cleanups.push(() => broker.close());
    const dashboard = await startDemoDashboard(
      config,
      broker.url,
      tokenEnv === '' ? null : tokenEnv,
      opts.port !== undefined,
      quiet.child({ stage: 'dashboard' }),
    );
    cleanups.push(() => dashboard.close());
    const access = tokenEnv === '' ? '' : ` (access token from ${config.dashboard.tokenEnv}: open it once as <address>?token=<token>)`;
    print(`fieldeye demo: dashboard ${dashboard.url}${access}; broker ${broker.url}`);

    say(
      `demo model: the seeded ResNet-18 with a head fitted on simulated field seed ${DEMO_TRAIN_SEED} (${area.widthM}x${area.heightM} m); built on first start (a minute or two), then cached in ${cacheDir}`,
    );
    const model = await ensureDemoModel({
      cacheDir,
      backboneDir: generatedModelsDir(),
      flightSeed: DEMO_TRAIN_SEED,
      ...area,
      altAglM: DEMO_ALT_M,
      speedMps: DEMO_SPEED_MPS,
      logger,
    });
    const heldOut = model.card.head?.heldOut;
    say(
      model.reused
        ? `demo model: reused the cached ${model.modelPath}`
        : `demo model: built ${model.modelPath} in ${(model.ms / 1000).toFixed(1)} s (held-out accuracy ${pct(heldOut?.accuracy ?? null)} of ${heldOut?.frames ?? 0} frames)`,
    );
    const survey = await ensureSimulatedFlight({
      cacheDir,
      seed: DEMO_SURVEY_SEED,
      ...area,
      altAglM: DEMO_ALT_M,
      speedMps: DEMO_SPEED_MPS,
      droneId: DEMO_DRONE_ID,
      flightId: `demo-survey-seed${DEMO_SURVEY_SEED}`,
      logger,
    });
    say(
      survey.reused
        ? `survey flight: reused the cached ${survey.dir} (${survey.frames} frames)`
        : `survey flight: simulated field seed ${DEMO_SURVEY_SEED}, ${survey.frames} frames, in ${(survey.ms / 1000).toFixed(1)} s: ${survey.dir}`,
    );
    const flight = await readFlight(survey.dir);

    // This run's own outputs: a fresh results file, and an outbox with nothing an earlier, interrupted demo left.
    const resultsPath = join(cacheDir, 'demo-results.jsonl');
    const mapPath = join(cacheDir, 'demo-field-map.geojson');
    for (const f of [resultsPath, mapPath, ...['', '-wal', '-shm'].map((s) => `${config.sinks.mqtt.outbox.path}${s}`)]) await rm(f, { force: true });

    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      say('stopping: the frame in flight finishes, then the results so far are scored');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const results: Result[] = [];
    const total = flight.frames.length;
    const flightS = total > 1 ? ((flight.frames[total - 1]?.capturedAtMs ?? 0) - (flight.frames[0]?.capturedAtMs ?? 0)) / 1000 : 0;
    say(
      `flying the survey: ${total} frames over ${flightS.toFixed(0)} s of flight at ${speed === 'max' ? 'full speed' : `${speed}x real time (about ${(flightS / speed).toFixed(0)} s)`}; watch it on ${dashboard.url}`,
    );
    let outcome: Awaited<ReturnType<typeof runFlight>>;
    try {
      outcome = await runFlight(
        {
          ...config,
          droneId: flight.manifest.droneId,
          flightId: flight.manifest.flightId,
          model: { ...config.model, path: model.modelPath },
          sinks: { ...config.sinks, mqtt: { ...config.sinks.mqtt, url: broker.url } },
        },
        resolveSecrets(config),
        quiet,
        {
          input: async () => ({
            source: new RecordingFrameSource(flight, { speed, signal: stop.signal }),
            position: new RecordingPositionSource(flight.telemetry, config.position.track),
          }),
          outPath: resultsPath,
          signal: stop.signal,
          onResult: (result) => {
            results.push(result);
            if (results.length % Math.max(1, Math.round(total / 10)) === 0 && results.length < total) say(`flown ${results.length} of ${total} frames`);
          },
        },
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }

    const score = scoreAgainstTruth(flight.frames, results);
    const map = exportResults(results, { format: 'geojson', title: flight.manifest.flightId });
    await writeFile(mapPath, map.text);
    const { report } = score;
    print(
      renderSummaryTable(outcome.summary, {
        flight: `${outcome.flightId} (field seed ${DEMO_SURVEY_SEED})`,
        model: `${model.card.name}`,
        'model sha256': outcome.modelSha256.slice(0, 16),
        'published to': broker.url,
      }),
    );
    if (stop.signal.aborted) print(`stopped early: ${results.length} of ${total} frames flown; the figures below are for those`);
    print(
      `accuracy ${pct(report.accuracy)} (${report.correct} of ${report.frames} frames) against the simulator's ground truth (survey seed ${DEMO_SURVEY_SEED}, head fitted on seed ${DEMO_TRAIN_SEED})`,
    );
    // The per-class table and confusion matrix; its closing accuracy line is the one above.
    for (const line of formatClassificationReport(report).slice(0, -1)) print(line);
    if (score.withoutTruth > 0) print(`${score.withoutTruth} results had no ground truth and are not scored`);
    print(`field map (GeoJSON, ${map.features} points, one per frame, with its class; footprints: fieldeye export --geometry footprints): ${mapPath}`);
    print(`results (JSON lines): ${resultsPath}`);

    if (!opts.exit && !stop.signal.aborted) {
      print(`fieldeye demo: the dashboard keeps serving at ${dashboard.url}; press Ctrl-C (or send SIGTERM) to stop`);
      // Whichever signal comes first; the other listener is removed with the abort.
      const served = new AbortController();
      await Promise.race((['SIGINT', 'SIGTERM'] as const).map((name) => once(process, name, { signal: served.signal }))).finally(() => served.abort());
      print('fieldeye demo: stopped');
    }
    return outcome.summary.results > 0 || stop.signal.aborted ? 0 : 1;
  } finally {
    for (const close of cleanups.reverse()) await close().catch((err: Error) => logger.warn({ err: err.message }, 'demo: error while shutting down'));
    await new Promise<void>((done) => logger.flush(() => done()));
  }
}
