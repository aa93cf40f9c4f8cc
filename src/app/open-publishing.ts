// Wires MQTT publishing for one flight from the config: connection (TLS, credentials), durable outbox sink, retained flight document, health reports.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import type { PipelineMetrics } from '../pipeline/metrics.js';
import type { ModelCard } from '../vision/model-card.js';
import type { PrecisionChoice } from '../vision/precision-choice.js';
import type { FlightSession, SessionChange } from '../flight/flight-sessions.js';
import { MqttLink } from '../publish/mqtt-link.js';
import { ECHO_WAIT_MS } from '../publish/publish-echo-check.js';
import type { MqttLinkOptions } from '../publish/mqtt-link-options.js';
import { OutboxMqttSink } from '../publish/outbox-mqtt-sink.js';
import { buildFlightDocument } from '../publish/flight-document.js';
import { startHealthReporter, type HealthReporter } from './health-reporter.js';
import { readSocTemperatureC } from '../platform/thermal.js';
import type { Health } from '../publish/health-schema.js';
import { ThumbPublisher } from '../publish/thumb-publisher.js';

export interface MqttPublishingInput {
  config: Config;
  secrets: Secrets;
  /** The broker to use (the configured one, or the embedded broker's). */
  url: string;
  protocolVersion: 4 | 5;
  /** The embedded broker (no ACL): MQTT 3.1.1's invisible refusals are not worth a warning there. */
  embeddedBroker?: boolean;
  flightId: string;
  /**
   * The run's flight sessions (arming splits a run into flights): the retained flight document follows them, and
   * health reports name the current one. Without it, `flightId` is the one flight of the run.
   */
  sessions?: {
    readonly current: Readonly<FlightSession>;
    onChange(listener: (change: SessionChange) => void): () => void;
  };
  model: { card: ModelCard; sha256: string; classes: number; precision?: PrecisionChoice };
  /** Filled by the pipeline; read by the health report. */
  metrics: PipelineMetrics;
  /** The live camera's state for health reports, when the source is a camera. */
  camera?: () => Health['camera'];
  /** The thermal governor's state for health reports, when one runs. */
  thermalGovernor?: () => NonNullable<Health['thermal']>['governor'];
  /** The live position source's telemetry state for health reports. */
  position?: () => Health['position'];
  /** The clock results are stamped with, for health reports. */
  clock?: () => Health['clock'];
  logger: Logger;
}

/** At the end, the last flight documents get this long to be acknowledged before the connection closes. */
const FLIGHT_DOCUMENT_FLUSH_MS = 2_000;
/** At start, the first connection attempt gets this long to succeed or fail before the flight goes on without it. */
const FIRST_ATTEMPT_WAIT_MS = 3_000;

export interface MqttPublishing {
  sink: OutboxMqttSink;
  /** Frame previews on <prefix>thumb/<seq>, when sinks.mqtt.thumb.enabled; tap the frame source with it. */
  thumbs: ThumbPublisher | null;
  /** Stops health reports, drains (bounded) and closes the sink; call after the pipeline has finished. */
  close(): Promise<void>;
}

function readPem(key: 'caFile' | 'certFile' | 'keyFile', path: string): Buffer | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`sinks.mqtt.tls.${key}: cannot read ${path} (${code}); point it at a PEM file or set it to ""`);
  }
}

/** The MQTT link options the config asks for; TLS files are read here so a missing one is a startup error. */
export function mqttLinkOptionsFrom(config: Config, secrets: Secrets, url: string, protocolVersion: 4 | 5): MqttLinkOptions {
  const mqtt = config.sinks.mqtt;
  if ((mqtt.tls.certFile === '') !== (mqtt.tls.keyFile === '')) {
    throw new ConfigError(
      `sinks.mqtt.tls: certFile and keyFile go together (received certFile "${mqtt.tls.certFile}", keyFile "${mqtt.tls.keyFile}"); set both or neither`,
    );
  }
  const ca = readPem('caFile', mqtt.tls.caFile);
  const cert = readPem('certFile', mqtt.tls.certFile);
  const key = readPem('keyFile', mqtt.tls.keyFile);
  return {
    url,
    protocolVersion,
    clientId: mqtt.clientId || `fieldeye-${config.droneId}`,
    topicPrefix: mqtt.topicPrefix.replaceAll('{droneId}', config.droneId),
    ...(mqtt.username ? { username: mqtt.username } : {}),
    ...(secrets.mqttPassword !== undefined ? { password: secrets.mqttPassword } : {}),
    connectTimeoutMs: mqtt.connectTimeoutMs,
    keepaliveS: mqtt.keepaliveS,
    sessionExpiryS: mqtt.sessionExpiryS,
    reconnectMinMs: mqtt.reconnectMinMs,
    reconnectMaxMs: mqtt.reconnectMaxMs,
    ...(ca !== undefined || cert !== undefined
      ? { tls: { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) } }
      : {}),
  };
}

export async function openMqttPublishing(input: MqttPublishingInput): Promise<MqttPublishing> {
  const { config, logger } = input;
  const mqttConfig = config.sinks.mqtt;
  // Never waits for the broker: a ground station that is not up yet is a link that is down, and results queue.
  const mqtt = MqttLink.open(mqttLinkOptionsFrom(config, input.secrets, input.url, input.protocolVersion), logger, {
    warnInvisibleRefusals: !input.embeddedBroker,
  });
  // A broker that is up is connected before the first result; one that is down costs its refusal, at most this bound.
  await mqtt.firstAttempt(FIRST_ATTEMPT_WAIT_MS);
  let sink: OutboxMqttSink;
  try {
    sink = OutboxMqttSink.open(mqtt, { outbox: mqttConfig.outbox }, logger);
  } catch (error) {
    await mqtt.close();
    throw error;
  }

  const documents = publishFlightDocuments(mqtt, input);
  const health = startLinkHealth(mqtt, sink, input);
  // A first report right away: a ground station learns the drone's state when the flight starts,
  // not one interval later.
  void health.report();

  const thumbs = mqttConfig.thumb.enabled
    ? new ThumbPublisher(
        mqtt,
        { ...mqttConfig.thumb, flightId: input.flightId, maxInputPixels: Math.round(input.config.model.maxImageMegapixels * 1e6) },
        logger.child({ stage: 'thumb' }),
      )
    : null;

  return {
    sink,
    thumbs,
    close: async () => {
      health.stop();
      // The last report counts every result's fate: after the drain, and with the broker's verdict rather than
      // "pending", even after a short flight.
      await sink.drain();
      await mqtt.publishCheckSettled(ECHO_WAIT_MS + 1_000);
      // A last report with the flight's final counters, so a ground station sees how it ended even
      // when the flight was shorter than one health interval (sent only if the link is up).
      await health.report();
      await documents.close();
      await thumbs?.flush();
      await sink.close();
    },
  };
}

/**
 * The retained flight document, published at start and again whenever arming closes a flight and opens the next.
 * Not awaited by the flight: like results, it must not hold anything up when the link drops right now.
 */
function publishFlightDocuments(mqtt: MqttLink, input: MqttPublishingInput): { close(): Promise<void> } {
  const { config, logger } = input;
  const pendingDocuments = new Set<Promise<void>>();
  const publishFlight = (session: Pick<FlightSession, 'flightId' | 'kind' | 'startedAtMs' | 'endedAtMs'>): void => {
    const flight = buildFlightDocument({
      droneId: config.droneId,
      flightId: session.flightId,
      startedAtMs: session.startedAtMs,
      kind: session.kind,
      endedAtMs: session.endedAtMs,
      card: input.model.card,
      modelSha256: input.model.sha256,
      classes: input.model.classes,
      config,
    });
    // Retained: a ground station that connects mid-flight learns at once which flight, model and config it is looking at.
    // Not awaited: like results, it must not hold the flight up when the link drops right now.
    const sent: Promise<void> = mqtt
      .publishJson('flight', flight, { qos: 1, retain: true })
      .catch((error: unknown) => {
        logger.warn({ err: (error as Error).message, flightId: session.flightId }, 'mqtt: could not publish the flight document');
      })
      .finally(() => pendingDocuments.delete(sent));
    pendingDocuments.add(sent);
  };
  const sessions = input.sessions;
  publishFlight(sessions ? sessions.current : { flightId: input.flightId, kind: 'run', startedAtMs: Date.now(), endedAtMs: null });
  // A closed flight is published with its endedAt, then the next one: live subscribers see both, a late one the current.
  const unsubscribe = sessions?.onChange(({ closed, opened }) => {
    if (closed) publishFlight(closed);
    if (opened) publishFlight(opened);
  });

  return {
    // The last flight documents get a bounded time to be acknowledged before the connection closes.
    close: async () => {
      unsubscribe?.();
      const flushed = new Promise<void>((resolve) => setTimeout(resolve, FLIGHT_DOCUMENT_FLUSH_MS).unref());
      await Promise.race([Promise.all([...pendingDocuments]), flushed]);
    },
  };
}

/** Health reports for this link: the pipeline's counters, the outbox, the link and broker state, and the hardware. */
function startLinkHealth(mqtt: MqttLink, sink: OutboxMqttSink, input: MqttPublishingInput): HealthReporter {
  const { config, logger } = input;
  const mqttConfig = config.sinks.mqtt;
  const sessions = input.sessions;
  return startHealthReporter({
    droneId: config.droneId,
    flightId: sessions ? () => sessions.current.flightId : input.flightId,
    intervalS: mqttConfig.healthIntervalS,
    metrics: input.metrics,
    outboxStats: () => sink.stats(),
    linkUp: () => sink.linkUp,
    linkDetail: () => mqtt.state().detail,
    broker: () => {
      const check = mqtt.publishCheck();
      return {
        protocolVersion: mqtt.protocolVersion,
        refusalsVisible: mqtt.protocolVersion === 5,
        publishCheck: check.verdict,
        publishCheckDetail: check.detail,
      };
    },
    ...(input.camera ? { camera: input.camera } : {}),
    // The configured thermal zone (thermal.sysfsRoot), the same one the governor acts on.
    cpuTempC: () => readSocTemperatureC(config.thermal.sysfsRoot),
    ...(input.thermalGovernor ? { thermalGovernor: input.thermalGovernor } : {}),
    ...(input.position ? { position: input.position } : {}),
    ...(input.clock ? { clock: input.clock } : {}),
    ...(input.model.precision
      ? {
          model: {
            sha256: input.model.sha256,
            precision: input.model.precision.precision,
            precisionReason: input.model.precision.reason,
            fp32P50Ms: input.model.precision.timing?.fp32P50Ms ?? null,
            int8P50Ms: input.model.precision.timing?.int8P50Ms ?? null,
          },
        }
      : {}),
    publish: (document) => mqtt.publishJson('health', document, { qos: 0, retain: false }),
    logger,
  });
}
