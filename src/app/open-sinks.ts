// Opens a flight's sinks from the config: the flight recorder, the JSON-lines file, and MQTT publishing (through the
// durable outbox, to the configured broker or an embedded one); each taps the frames it needs.
import { join } from 'node:path';
import type { RpicamHealth } from '../capture/rpicam-frame-source.js';
import type { Secrets } from '../config/resolve-secrets.js';
import type { Config } from '../config/schema.js';
import type { ConfigError } from '../config/config-error.js';
import { FlightRecorder } from '../flight/flight-recorder.js';
import type { FlightSessions } from '../flight/flight-sessions.js';
import type { FlightManifest } from '../flight/recording-format.js';
import { cameraGeometry } from '../geo/create-position-source.js';
import type { ClockReference } from '../pipeline/clock-reference.js';
import type { PipelineMetrics } from '../pipeline/metrics.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { startEmbeddedBroker } from '../publish/embedded-broker.js';
import { configSha256 } from '../publish/flight-document.js';
import { JsonlSink } from '../publish/jsonl-sink.js';
import type { PublishCheck } from '../publish/mqtt-link-options.js';
import type { Health } from '../publish/health-schema.js';
import type { DeliveryAccount } from '../publish/outbox-mqtt-sink.js';
import type { Result } from '../publish/result-schema.js';
import type { Sink } from '../publish/sink.js';
import type { LoadedModel } from '../vision/model-loader.js';
import type { PrecisionChoice } from '../vision/precision-choice.js';
import type { CleanupStack } from './cleanup-stack.js';
import type { OpenedInput } from './open-input.js';
import { openMqttPublishing } from './open-publishing.js';
import { coverageAtEnd } from './coverage-at-end.js';

export type Delivery = DeliveryAccount & { protocolVersion: 4 | 5; publishCheck: PublishCheck };

export interface OpenedSinks {
  sinks: Sink[];
  /** Sees every result as it is emitted, stores nothing (the end-of-flight coverage); not a Sink, so not in its contract. */
  observe: ((result: Result) => void) | null;
  resultsFile: string | null;
  /** Without credentials: fit for a summary or a log. */
  brokerUrl: string | null;
  /** Where every result queued for the broker went; known once the sinks are closed, null without MQTT. */
  delivery(): Delivery | null;
}

export interface SinkParts {
  model: LoadedModel;
  precision: PrecisionChoice;
  sessions: FlightSessions;
  clock: ClockReference;
  metrics: PipelineMetrics;
  cleanups: CleanupStack;
  /** A configuration fault the broker reveals once it answers (credentials, TLS). */
  onLinkFault: (error: ConfigError) => void;
  outPath?: string;
  /** The broker at sinks.mqtt.url is this process's own (RunOptions.ownBroker). */
  ownBroker?: boolean;
  stopped: () => boolean;
}

/** The camera's state as health reports it, read once per report. */
function cameraHealth(h: RpicamHealth): NonNullable<Health['camera']> {
  return { state: h.state, present: h.cameraPresent, restarts: h.restarts };
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

async function openRecorder(config: Config, input: OpenedInput, parts: SinkParts, log: Logger): Promise<Sink> {
  const flightId = parts.sessions.current.flightId;
  const recorder = await FlightRecorder.open(
    join(config.record.dir, flightId),
    {
      droneId: config.droneId,
      flightId,
      startedAt: new Date().toISOString(),
      origin: 'run',
      camera: recordedCamera(config),
      model: flightModel(parts.model),
      configSha256: configSha256(config),
    },
    {
      everyNth: config.record.everyNth,
      maxBytes: Math.round(config.record.maxGb * 1e9),
      positionSource: config.position.type,
      // Each flight of the run into its own folder.
      rotation: { recordDir: config.record.dir, startedAtMs: (id) => parts.sessions.all.find((s) => s.flightId === id)?.startedAtMs ?? Date.now() },
    },
    log.child({ stage: 'record' }),
  );
  // Closed after the pipeline and the sinks before it (cleanups run in reverse), so every result is in.
  parts.cleanups.push(() => recorder.close(parts.stopped() ? 'stopped' : 'source-ended').then(() => undefined));
  input.source = recorder.tapFrames(input.source);
  input.position = recorder.tapPosition(input.position);
  return recorder.sink;
}

async function openPublishing(
  config: Config,
  secrets: Secrets,
  input: OpenedInput,
  parts: SinkParts,
  log: Logger,
): Promise<{ sink: Sink; observe: (result: Result) => void; url: string; delivery: () => Delivery | null }> {
  const mqtt = config.sinks.mqtt;
  let url = mqtt.url;
  let protocolVersion = mqtt.protocolVersion;
  if (url === '') {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: mqtt.embeddedBrokerPort }, log.child({ stage: 'broker' }));
    parts.cleanups.push(() => broker.close());
    url = broker.url;
    protocolVersion = 4; // aedes speaks MQTT 3.1.1 only
    log.info({ url }, 'no broker configured: embedded broker started on loopback');
  }
  const { camera, thermal, position } = input;
  const publishing = await openMqttPublishing({
    config,
    secrets,
    url,
    protocolVersion,
    embeddedBroker: mqtt.url === '' || parts.ownBroker === true,
    flightId: parts.sessions.current.flightId,
    sessions: parts.sessions,
    model: { card: parts.model.card, sha256: parts.model.sha256, classes: parts.model.labels.length, precision: parts.precision },
    metrics: parts.metrics,
    ...(position.health ? { position: () => position.health?.() ?? null } : {}),
    clock: () => parts.clock.health(),
    ...(camera ? { camera: () => cameraHealth(camera.health()) } : {}),
    ...(thermal ? { thermalGovernor: () => thermal.health() } : {}),
    logger: log.child({ stage: 'sink:mqtt' }),
  });
  if (publishing.thumbs) input.source = publishing.thumbs.tapFrames(input.source);
  const link = publishing.sink.link;
  link.onFatal(parts.onLinkFault);
  let delivery: Delivery | null = null;
  parts.cleanups.push(async () => {
    await publishing.close();
    delivery = { ...publishing.sink.account(), protocolVersion: link.protocolVersion, publishCheck: link.publishCheck() };
  });
  // Pushed after publishing.close, so it runs before it (cleanups run in reverse): the retained coverage goes out on the open link.
  const coverage = coverageAtEnd(config, camera !== null, (doc) => link.publishJson('coverage', doc, { qos: 1, retain: true }), log);
  parts.cleanups.push(() => coverage.publish());
  input.source = coverage.tapFrames(input.source);
  return { sink: publishing.sink, observe: coverage.observe, url, delivery: () => delivery };
}

export async function openSinks(config: Config, secrets: Secrets, input: OpenedInput, parts: SinkParts, log: Logger): Promise<OpenedSinks> {
  const sinks: Sink[] = [];
  if (config.record.enabled) sinks.push(await openRecorder(config, input, parts, log));
  let resultsFile: string | null = null;
  const jsonlPath = parts.outPath ?? (config.sinks.jsonl.enabled ? config.sinks.jsonl.path : null);
  if (jsonlPath !== null) {
    const jsonl = await JsonlSink.open({ path: jsonlPath }, log.child({ stage: 'sink:jsonl' }));
    resultsFile = jsonl.path;
    sinks.push(jsonl);
    parts.cleanups.push(() => jsonl.close());
  }
  if (!config.sinks.mqtt.enabled) return { sinks, observe: null, resultsFile, brokerUrl: null, delivery: () => null };
  const publishing = await openPublishing(config, secrets, input, parts, log);
  sinks.push(publishing.sink);
  return { sinks, observe: publishing.observe, resultsFile, brokerUrl: redactUrl(publishing.url), delivery: publishing.delivery };
}
