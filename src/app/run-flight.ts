// Composition root of the drone's flight: model, input and sinks opened in order, the pipeline run, everything closed
// in reverse; no module state.
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import type { ConfigError } from '../config/config-error.js';
import { FlightSessions } from '../flight/flight-sessions.js';
import { cameraGeometry } from '../geo/create-position-source.js';
import { computeFootprint } from '../geo/footprint.js';
import { ClockReference } from '../pipeline/clock-reference.js';
import { PipelineMetrics, type PipelineSummary } from '../pipeline/metrics.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { checkClockSync } from '../platform/clock-sync.js';
import type { Logger } from '../platform/logger.js';
import type { Result } from '../publish/result-schema.js';
import { preprocessFrame } from '../vision/preprocess-frame.js';
import { CleanupStack } from './cleanup-stack.js';
import { openInput, type FlightInput } from './open-input.js';
import { openModel } from './open-model.js';
import { describeModel, untrainedNotice } from '../vision/model-description.js';
import { openSinks, type Delivery } from './open-sinks.js';

export interface RunOptions {
  /** Frames and positions; default: configuredInput(config, maxFrames). `replay` passes a recording. */
  input?: FlightInput;
  maxFrames?: number;
  /** Extra JSON-lines output (the CLI's --out), in addition to configured sinks. */
  outPath?: string;
  /** Each result once it is handed to the sinks (readiness, watchdog progress). */
  onResult?: (result: Result) => void;
  /** Abort to stop gracefully: no new frames, the frame in flight finishes, sinks flush and close. */
  signal?: AbortSignal;
  /** sinks.mqtt.url is this process's own embedded broker (the demo's): no ACLs, so no warning that 3.1.1 hides refusals. */
  ownBroker?: boolean;
}

export interface RunOutcome {
  summary: PipelineSummary;
  /** The run's first flight id (the only one unless arming split the run). */
  flightId: string;
  /** Every flight of the run, in order (MAVLink arming starts one, disarming another). */
  flights: string[];
  /** Without credentials: fit for a summary or a log. */
  brokerUrl: string | null;
  /** Where every result queued for the broker went, counted after the link closed; null without MQTT. */
  delivery: Delivery | null;
  resultsFile: string | null;
  modelSha256: string;
  /** The model that ran, as every human-readable output names it: "name (precision, N classes)". */
  modelDescription: string;
  /** Said once, plainly, when the model's weights were never trained; null otherwise. */
  modelNotice: string | null;
}

/** What a wrong system clock does to results with this position source, for the warning. */
function clockEffect(positionType: Config['position']['type']): string {
  // gpsd and NMEA fixes carry GPS time, so a wrong system clock also misplaces frames; MAVLink boot times are
  // mapped onto the system clock itself, so only capturedAt is off.
  return positionType === 'gpsd' || positionType === 'nmea' ? 'and frames get the position of another moment' : 'as much as the clock is';
}

/** The pipeline's one result callback, calling the run's observer (coverage) and the caller's, when there are any. */
function observers(...all: Array<((result: Result) => void) | null | undefined>): { onResult?: (result: Result) => void } {
  const present = all.filter((f): f is (result: Result) => void => typeof f === 'function');
  if (present.length === 0) return {};
  return { onResult: (result) => present.forEach((f) => f(result)) };
}

/** Runs one flight to the end of its source. Every resource opened here is closed here, in reverse order. */
export async function runFlight(config: Config, secrets: Secrets, logger: Logger, options: RunOptions = {}): Promise<RunOutcome> {
  // With MAVLink the vehicle's arming splits the run into flights; otherwise the run is one flight.
  const sessions = new FlightSessions({ configured: config.flightId, startedAtMs: Date.now(), arming: !options.input && config.position.type === 'mavlink' });
  const flightId = sessions.current.flightId;
  const log = logger.child({ droneId: config.droneId, flightId });
  const clock = new ClockReference({ reference: config.clock.reference, warnOffsetMs: config.clock.warnOffsetMs, logger: log.child({ stage: 'clock' }) });
  const cleanups = new CleanupStack();
  // A configuration fault the broker reveals once it answers (credentials, TLS) stops the flight; the signal says so.
  let linkFault: ConfigError | null = null;
  const faultStop = new AbortController();
  const stopSignal = options.signal ? AbortSignal.any([options.signal, faultStop.signal]) : faultStop.signal;
  // Every capturedAt comes from the system clock: checked while the model loads, reported below.
  const clockSync = checkClockSync();
  let outcome: Omit<RunOutcome, 'delivery'>;
  let delivery: (() => Delivery | null) | undefined;
  try {
    const { model, precision, classifier } = await openModel(config, cleanups, log);
    // A recording (replay, demo) brings its frames' times: this computer's clock only matters on a live flight.
    clock.setSync(await clockSync, clockEffect(config.position.type), options.input === undefined);
    const input = await openInput(config, options.input, options.maxFrames, { model, sessions, clock, cleanups }, log);
    // Shared with the health report, which reads it while the flight runs.
    const metrics = new PipelineMetrics();
    const opened = await openSinks(
      config,
      secrets,
      input,
      {
        model,
        precision,
        sessions,
        clock,
        metrics,
        cleanups,
        onLinkFault: (error) => {
          linkFault = error;
          faultStop.abort();
        },
        ...(options.outPath !== undefined ? { outPath: options.outPath } : {}),
        ...(options.ownBroker ? { ownBroker: true } : {}),
        stopped: () => options.signal?.aborted === true,
      },
      log,
    );
    delivery = opened.delivery;
    // Runs before the sinks close (cleanups run in reverse): the last flight's closing document goes out with them.
    cleanups.push(() => sessions.end(Date.now()));

    const preOptions = classifier.preprocessOptions;
    const camera = cameraGeometry(config.position, { resizeShorterPx: preOptions.resizeShorterPx, cropPx: preOptions.cropPx });
    const summary = await runPipeline({
      source: input.source,
      preprocess: (frame) => preprocessFrame(frame, preOptions),
      classify: (tensor, dims) => classifier.classify(tensor, dims),
      inputDims: classifier.inputDims,
      modelInput: (pre) => classifier.modelInput(pre),
      labels: model.labels,
      topK: config.model.topK,
      position: clock.lookups(input.position),
      stamp: (frame) => clock.stamp(frame),
      footprint: (where) => computeFootprint(where, camera),
      sinks: opened.sinks,
      identity: { droneId: config.droneId, flightId, model: { name: model.card.name, sha256: model.sha256, precision: model.card.precision } },
      logger: log,
      metrics,
      ...observers(opened.observe, options.onResult),
      signal: stopSignal,
    });
    log.info({ summary }, 'flight finished');
    outcome = {
      summary,
      flightId,
      flights: sessions.all.map((s) => s.flightId),
      brokerUrl: opened.brokerUrl,
      resultsFile: opened.resultsFile,
      modelSha256: model.sha256,
      modelDescription: describeModel(model.card, model.labels.length),
      modelNotice: untrainedNotice(model.card),
    };
  } finally {
    await cleanups.closeAll(log);
  }
  // Results already queued stay in the outbox for the next start; the fault is the run's error.
  if (linkFault) throw linkFault;
  const account = delivery?.() ?? null;
  // Refusals are failures of the MQTT sink like any other, in the summary's sink failures.
  if (account && account.refused > 0) outcome.summary.sinkFailures['mqtt (refused by broker)'] = account.refused;
  return { ...outcome, delivery: account };
}
