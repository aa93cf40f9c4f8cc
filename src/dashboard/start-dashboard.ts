// Composition of the ground-station dashboard: broker (given or embedded) -> subscriber -> state -> event hub ->
// HTTP server, plus the optional try-a-photo classifier; every resource opened here is closed by close().
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { startEmbeddedBroker } from '../publish/embedded-broker.js';
import { mqttLinkOptionsFrom } from '../publish/open-mqtt-publishing.js';
import { AccessGuard } from './access-guard.js';
import { createDashboardServer } from './dashboard-server.js';
import { DashboardState } from './dashboard-state.js';
import type { Snapshot } from './dashboard-types.js';
import { MqttSubscriber } from './mqtt-subscriber.js';
import { SseHub } from './sse-hub.js';
import { loadStaticAssets } from './static-assets.js';
import { parseTileSource, tilesView } from './tile-source.js';
import { topicLayout } from './topic-layout.js';
import { UploadClassifier } from './upload-classifier.js';

export interface DashboardOptions {
  /** dashboard.* (listen address, tiles, bounds), sinks.mqtt.* (broker, TLS, credentials, topic prefix), model.* (preprocessing). */
  config: Config;
  secrets: Secrets;
  /** A broker URL, "embedded" for an in-process broker on loopback, or null for sinks.mqtt.url. */
  broker: string | 'embedded' | null;
  /** null = no access token. */
  token: string | null;
  /** The model for "try a photo"; null = no upload panel. */
  modelPath: string | null;
  logger: Logger;
}

export interface RunningDashboard {
  /** http://host:port/ as a browser on this machine opens it. */
  readonly url: string;
  readonly brokerUrl: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { config, logger } = options;
  const settings = config.dashboard;
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    const steps = cleanups.splice(0).reverse();
    for (const cleanup of steps) await cleanup().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'dashboard: close step failed'));
  };
  try {
    const layout = topicLayout(config.sinks.mqtt.topicPrefix, config.droneId);
    const tiles = parseTileSource(settings.tiles, 'dashboard.tiles (--tiles)');
    const assets = loadStaticAssets();

    let uploads: UploadClassifier | null = null;
    if (options.modelPath !== null) {
      uploads = await UploadClassifier.open(options.modelPath, config.model.preprocess, config.model.intraOpThreads, logger.child({ stage: 'try-photo' }));
      const opened = uploads;
      cleanups.push(() => opened.close());
    }

    let brokerUrl = options.broker === 'embedded' ? '' : (options.broker ?? config.sinks.mqtt.url);
    let protocolVersion = config.sinks.mqtt.protocolVersion;
    if (options.broker === 'embedded') {
      const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: config.sinks.mqtt.embeddedBrokerPort }, logger.child({ stage: 'broker' }));
      cleanups.push(() => broker.close());
      brokerUrl = broker.url;
      protocolVersion = 4; // aedes speaks MQTT 3.1.1 only
    }
    if (brokerUrl === '') {
      throw new ConfigError('dashboard: no broker to subscribe to: pass --broker mqtt://host:1883, set sinks.mqtt.url in --config, or pass --embedded-broker');
    }
    if (!/^(mqtts?|wss?):\/\/[^\s]+$/.test(brokerUrl)) {
      throw new ConfigError(`--broker: expected a broker URL such as mqtt://host:1883, received "${brokerUrl}"`);
    }
    const mqtt = mqttLinkOptionsFrom(config, options.secrets, brokerUrl, protocolVersion);

    const state = new DashboardState({
      layout,
      maxDrones: settings.maxDrones,
      maxResultsPerDrone: settings.maxResultsPerDrone,
      maxThumbsPerDrone: settings.maxThumbsPerDrone,
      diagnosticsKept: settings.diagnosticsKept,
    });
    const hub = new SseHub({ maxBufferedBytes: 8 * 1024 * 1024, heartbeatMs: 15_000 });
    cleanups.push(async () => hub.close());
    state.subscribe((event) => hub.broadcast(event));

    let subscriber: MqttSubscriber | null = null;
    const uploadMaxBytes = settings.uploadMaxMb * 1024 * 1024;
    const snapshot = (): Snapshot => ({
      settings: {
        tiles: tilesView(tiles),
        tryPhoto: uploads?.info ?? null,
        uploadMaxBytes,
        maxResultsPerDrone: settings.maxResultsPerDrone,
      },
      broker: subscriber?.view() ?? { url: brokerUrl, filter: layout.filter, state: 'connecting', detail: null, since: new Date().toISOString() },
      ...state.snapshot(),
    });

    const guard = new AccessGuard(options.token, settings.host);
    if (!LOOPBACK.has(settings.host) && options.token === null) {
      logger.warn({ host: settings.host }, `dashboard: listening on ${settings.host} without an access token: anyone on that network can see the flight; set ${settings.tokenEnv} or --token`);
    }
    const server = createDashboardServer({ assets, guard, state, hub, snapshot, tiles, uploads, uploadMaxBytes, logger });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new ConfigError(
            `dashboard: cannot listen on ${settings.host}:${settings.port} (${error.code ?? error.message}); choose another --port / dashboard.port (0 = any free port) or check --host / dashboard.host`,
          ),
        ),
      );
      server.listen(settings.port, settings.host, () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : settings.port;
    const shownHost = isIP(settings.host) === 6 ? `[${settings.host}]` : settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host;

    subscriber = MqttSubscriber.start({
      url: brokerUrl,
      protocolVersion,
      filter: layout.filter,
      ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
      ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
      ...(mqtt.tls !== undefined ? { tls: mqtt.tls } : {}),
      reconnectMs: 2_000,
      connectTimeoutMs: config.sinks.mqtt.connectTimeoutMs,
      keepaliveS: config.sinks.mqtt.keepaliveS,
      onMessage: (topic, payload, userProperties) => state.ingest(topic, payload, userProperties),
      onBrokerChange: (broker) => hub.broadcast({ type: 'broker', broker }),
      logger,
    });
    const running = subscriber;
    cleanups.push(() => running.close());

    return { url: `http://${shownHost}:${port}/`, brokerUrl: mqtt.url, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
