// Composition root: config -> adapters -> pipeline, with start and stop in the right order; no module state.
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import type { Logger } from '../platform/logger.js';
import { checkClockSync } from '../platform/clock-sync.js';
import { ClockReference } from '../pipeline/clock-reference.js';
import { FlightSessions } from '../flight/flight-sessions.js';
import { ThermalGovernor } from '../capture/thermal-governor.js';
import { ImagesFrameSource } from '../capture/images-frame-source.js';
import { RpicamFrameSource } from '../capture/rpicam-frame-source.js';
import type { FrameSource } from '../capture/frame-source.js';
import { cameraGeometry, createPositionSource } from '../geo/create-position-source.js';
import type { PositionSource } from '../geo/position-source.js';
import { FlightRecorder } from '../flight/flight-recorder.js';
import type { FlightManifest } from '../flight/recording-format.js';
import { configSha256 } from '../publish/flight-document.js';
import { computeFootprint } from '../geo/footprint.js';
import type { Sink } from '../publish/sink.js';
import type { Result } from '../publish/result-schema.js';
import { JsonlSink } from '../publish/jsonl-sink.js';
import { openMqttPublishing } from './open-publishing.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../publish/embedded-broker.js';
import type { DeliveryAccount } from '../publish/outbox-mqtt-sink.js';
import type { PublishCheck } from '../publish/mqtt-link.js';
import type { ConfigError } from '../config/config-error.js';
import { redactUrl } from '../platform/redact-url.js';
import type { LoadedModel } from '../vision/model-loader.js';
import { selectModel } from './select-model.js';
import { inferenceThreads } from '../vision/inference-threads.js';
import { ImageClassifier } from '../vision/image-classifier.js';
import { preprocessFrame } from '../vision/preprocess-frame.js';
import { assertRawFitsModel } from '../vision/preprocess-i420.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { PipelineMetrics, type PipelineSummary } from '../pipeline/metrics.js';

/** The camera part of the health report: what an operator needs to see that the camera is gone. */
function cameraHealth(camera: RpicamFrameSource): () => { state: string; present: boolean; restarts: number } {
  return () => {
    const h = camera.health();
    return { state: h.state, present: h.cameraPresent, restarts: h.restarts };
  };
}

/** Where a flight's frames and positions come from: the configured camera/folder and position source, or a recording. */
export type FlightInput = (logger: Logger) => Promise<{ source: FrameSource; position: PositionSource }>;

/** The configured source and position source (what `fieldeye run` flies with). */
export function configuredInput(config: Config, maxFrames = Infinity): FlightInput {
  return async (log) => {
    const capture = log.child({ stage: 'capture' });
    const source: FrameSource =
      config.source.type === 'rpicam'
        ? await RpicamFrameSource.open({ config: config.source, logger: capture, maxFrames })
        : await ImagesFrameSource.open(config.source.dir, capture, maxFrames);
    try {
      return { source, position: await createPositionSource(config.position, log.child({ stage: 'position' })) };
    } catch (err) {
      await source.close();
      throw err;
    }
  };
}

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
  delivery: (DeliveryAccount & { protocolVersion: 4 | 5; publishCheck: PublishCheck }) | null;
  resultsFile: string | null;
  modelSha256: string;
}

function recordedCamera(config: Config): FlightManifest['camera'] {
  const c = config.position.camera;
  const fov = cameraGeometry(config.position, { resizeShorterPx: 1, cropPx: 1 });
  return { description: c.module, hfovDeg: fov.hfovDeg, vfovDeg: fov.vfovDeg, mountPitchDeg: c.mountPitchDeg };
}

/** The model as flight.json records it (the same summary the MQTT flight document carries). */
export function flightModel(model: LoadedModel): NonNullable<FlightManifest['model']> {
  const { card } = model;
  return {
    name: card.name,
    architecture: card.architecture,
    sha256: model.sha256,
    precision: card.precision,
    inputShape: [...card.input.shape],
    classes: model.labels.length,
  };
}

/** What a wrong system clock does to results with this position source, for the warning. */
function clockEffect(positionType: Config['position']['type']): string {
  // gpsd and NMEA fixes carry GPS time, so a wrong system clock also misplaces frames; MAVLink boot times are
  // mapped onto the system clock itself, so only capturedAt is off.
  return positionType === 'gpsd' || positionType === 'nmea' ? 'and frames get the position of another moment' : 'as much as the clock is';
}

/** Runs one flight to the end of its source. Every resource opened here is closed here, in reverse order. */
export async function runFlight(config: Config, secrets: Secrets, logger: Logger, options: RunOptions = {}): Promise<RunOutcome> {
  // With MAVLink the vehicle's arming splits the run into flights; otherwise the run is one flight.
  const sessions = new FlightSessions({
    configured: config.flightId,
    startedAtMs: Date.now(),
    arming: !options.input && config.position.type === 'mavlink',
  });
  const flightId = sessions.current.flightId;
  const log = logger.child({ droneId: config.droneId, flightId });
  const clock = new ClockReference({ reference: config.clock.reference, warnOffsetMs: config.clock.warnOffsetMs, logger: log.child({ stage: 'clock' }) });
  const cleanups: Array<() => Promise<void>> = [];
  // A configuration fault the broker reveals once it answers (credentials, TLS) stops the flight; the signal says so.
  let linkFault: ConfigError | null = null;
  const faultStop = new AbortController();
  const stopSignal = options.signal ? AbortSignal.any([options.signal, faultStop.signal]) : faultStop.signal;
  let delivery: RunOutcome['delivery'] = null;
  let outcome: RunOutcome;
  // Every capturedAt comes from the system clock: checked while the model loads, reported below.
  const clockSync = checkClockSync();
  try {
    // precision auto times both variants on the int8 split of cores: a like-for-like comparison.
    const { model, choice: precisionChoice } = await selectModel(config.model, inferenceThreads(config, 'int8'), log.child({ stage: 'model' }));
    const classifier = await ImageClassifier.open(model, {
      mode: config.model.preprocess,
      intraOpThreads: inferenceThreads(config, precisionChoice.precision),
      maxImageMegapixels: config.model.maxImageMegapixels,
    });
    cleanups.push(() => classifier.close());
    log.info({ threads: classifier.threads, loadMs: Math.round(classifier.loadMs) }, 'classifier ready');
    clock.setSync(await clockSync, clockEffect(config.position.type));

    if (!options.input && config.source.type === 'rpicam' && config.source.codec === 'yuv420') {
      assertRawFitsModel(config.source.widthPx, config.source.heightPx, model.card.input.resizeShorterPx);
    }
    const opened = await (options.input ?? configuredInput(config, options.maxFrames))(log);
    let source: FrameSource = opened.source;
    let position: PositionSource = opened.position;
    cleanups.push(() => source.close());
    cleanups.push(() => position.close());
    const live = opened.position;
    clock.useGpsTime(() => live.gpsTime?.() ?? null);
    live.observeArming?.((change) => sessions.arming(change));
    // Only a live camera is capped when hot: a replay or a folder never drops frames.
    let thermal: ThermalGovernor | null = null;
    if (!options.input && opened.source instanceof RpicamFrameSource && config.thermal.enabled) {
      const governor = new ThermalGovernor({ config: config.thermal, logger: log.child({ stage: 'thermal' }) });
      governor.start();
      cleanups.push(() => Promise.resolve(governor.stop()));
      source = governor.capFrames(source);
      thermal = governor;
    }
    // Frames get their flight and per-flight seq here, before anything records, previews or publishes them.
    source = sessions.tapFrames(source);

    const sinks: Sink[] = [];
    if (config.record.enabled) {
      const recorder = await FlightRecorder.open(
        join(config.record.dir, flightId),
        {
          droneId: config.droneId,
          flightId,
          startedAt: new Date().toISOString(),
          origin: 'run',
          camera: recordedCamera(config),
          model: flightModel(model),
          configSha256: configSha256(config),
        },
        {
          everyNth: config.record.everyNth,
          maxBytes: Math.round(config.record.maxGb * 1e9),
          positionSource: config.position.type,
          // Each flight of the run into its own folder.
          rotation: { recordDir: config.record.dir, startedAtMs: (id) => sessions.all.find((s) => s.flightId === id)?.startedAtMs ?? Date.now() },
        },
        log.child({ stage: 'record' }),
      );
      // Closed after the pipeline and the sinks before it (cleanups run in reverse), so every result is in.
      cleanups.push(() => recorder.close(options.signal?.aborted ? 'stopped' : 'source-ended').then(() => undefined));
      source = recorder.tapFrames(source);
      position = recorder.tapPosition(position);
      sinks.push(recorder.sink);
    }
    let resultsFile: string | null = null;
    const jsonlPath = options.outPath ?? (config.sinks.jsonl.enabled ? config.sinks.jsonl.path : null);
    if (jsonlPath !== null) {
      const jsonl = await JsonlSink.open({ path: jsonlPath }, log.child({ stage: 'sink:jsonl' }));
      resultsFile = jsonl.path;
      sinks.push(jsonl);
      cleanups.push(() => jsonl.close());
    }
    let brokerUrl: string | null = null;
    // Shared with the health report, which reads it while the flight runs.
    const metrics = new PipelineMetrics();
    const mqtt = config.sinks.mqtt;
    if (mqtt.enabled) {
      let url = mqtt.url;
      let protocolVersion = mqtt.protocolVersion;
      if (url === '') {
        const broker: EmbeddedBroker = await startEmbeddedBroker(
          { host: '127.0.0.1', port: mqtt.embeddedBrokerPort },
          log.child({ stage: 'broker' }),
        );
        cleanups.push(() => broker.close());
        url = broker.url;
        protocolVersion = 4; // aedes speaks MQTT 3.1.1 only
        log.info({ url }, 'no broker configured: embedded broker started on loopback');
      }
      brokerUrl = redactUrl(url);
      const publishing = await openMqttPublishing({
        config,
        secrets,
        url,
        protocolVersion,
        embeddedBroker: mqtt.url === '',
        flightId,
        sessions,
        model: { card: model.card, sha256: model.sha256, classes: model.labels.length, precision: precisionChoice },
        metrics,
        ...(live.health ? { position: () => live.health?.() ?? null } : {}),
        clock: () => clock.health(),
        ...(opened.source instanceof RpicamFrameSource ? { camera: cameraHealth(opened.source) } : {}),
        ...(thermal ? { thermalGovernor: () => thermal.health() } : {}),
        logger: log.child({ stage: 'sink:mqtt' }),
      });
      sinks.push(publishing.sink);
      if (publishing.thumbs) source = publishing.thumbs.tapFrames(source);
      const link = publishing.sink.link;
      link.onFatal((error) => {
        linkFault = error;
        faultStop.abort();
      });
      cleanups.push(async () => {
        await publishing.close();
        delivery = { ...publishing.sink.account(), protocolVersion: link.protocolVersion, publishCheck: link.publishCheck() };
      });
    }
    // Runs before the sinks close (cleanups run in reverse): the last flight's closing document goes out with them.
    cleanups.push(async () => sessions.end(Date.now()));

    const preOptions = classifier.preprocessOptions;
    const camera = cameraGeometry(config.position, { resizeShorterPx: preOptions.resizeShorterPx, cropPx: preOptions.cropPx });
    const summary = await runPipeline({
      source,
      preprocess: (frame) => preprocessFrame(frame, preOptions),
      ...(opened.source.dropCounts
        ? { drops: () => ({ ...(opened.source.dropCounts?.() ?? {}), ...(thermal ? { thermal: thermal.droppedFrames } : {}) }) }
        : {}),
      classify: (input, dims) => classifier.classify(input, dims),
      inputDims: classifier.inputDims,
      modelInput: (pre) => classifier.modelInput(pre),
      labels: model.labels,
      topK: config.model.topK,
      position: clock.lookups(position),
      stamp: (frame) => clock.stamp(frame),
      footprint: (where) => computeFootprint(where, camera),
      sinks,
      identity: {
        droneId: config.droneId,
        flightId,
        model: { name: model.card.name, sha256: model.sha256, precision: model.card.precision },
      },
      logger: log,
      metrics,
      ...(options.onResult ? { onResult: options.onResult } : {}),
      signal: stopSignal,
    });
    log.info({ summary }, 'flight finished');
    outcome = { summary, flightId, flights: sessions.all.map((s) => s.flightId), brokerUrl, delivery: null, resultsFile, modelSha256: model.sha256 };
  } finally {
    for (const close of cleanups.reverse()) {
      await close().catch((err: Error) => log.warn({ err: err.message }, 'error while shutting down'));
    }
  }
  // Results already queued stay in the outbox for the next start; the fault is the run's error.
  if (linkFault) throw linkFault;
  const account = delivery as RunOutcome['delivery'];
  // Refusals are failures of the MQTT sink like any other, in the summary's sink failures.
  if (account && account.refused > 0) outcome.summary.sinkFailures['mqtt (refused by broker)'] = account.refused;
  return { ...outcome, delivery: account };
}
