// Composition of the ground-station dashboard: broker (given or embedded) -> subscriber -> state -> event hub ->
// HTTP server, plus the optional try-a-photo classifier; every resource opened here is closed by close().
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { startEmbeddedBroker } from '../publish/embedded-broker.js';
import { mqttLinkOptionsFrom } from './open-publishing.js';
import { AccessGuard } from '../dashboard/access-guard.js';
import { resolveModel } from './resolve-model.js';
import { createDashboardServer } from '../dashboard/dashboard-server.js';
import { DashboardState } from '../dashboard/dashboard-state.js';
import type { Snapshot } from '../dashboard/dashboard-types.js';
import { MqttSubscriber } from '../dashboard/mqtt-subscriber.js';
import { SseHub } from '../dashboard/sse-hub.js';
import { loadStaticAssets } from '../dashboard/static-assets.js';
import { parseTileSource, tilesView } from '../dashboard/tile-source.js';
import { topicLayout } from '../publish/topic-layout.js';
import { UploadClassifier } from '../dashboard/upload-classifier.js';

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
  /** The broker subscribed to, without credentials: it is printed and shown. */
  readonly brokerUrl: string;
  close(): Promise<void>;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Only this machine can reach the address; a name other than localhost may resolve to anything, so it is not. */
function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return /^localhost\.?$/i.test(host);
  // ::ffff:127.0.0.1 (IPv4-mapped) counts as the IPv4 address it carries.
  return LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** A broker value as it may appear in an error: a URL's password redacted, and a scheme-less `user:pass@host` too. */
function shownBroker(value: string): string {
  return redactUrl(value).replace(/^([^\s:@/]*):[^\s@/]*@/, '$1:redacted@');
}

// eslint-disable-next-line max-lines-per-function -- composition root of the ground station, still to be carved like runFlight (noted on issue 16)
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { config, logger } = options;
  const settings = config.dashboard;
  // Refused before anything is opened: without a token every request is served, so a network address would hand the
  // flight, the map and the try-a-photo classifier to anyone on that network (or the internet, on 0.0.0.0 / ::).
  if (!isLoopback(settings.host) && options.token === null && !settings.insecureNoToken) {
    const setToken = settings.tokenEnv === '' ? 'pass --token' : `set ${settings.tokenEnv} (dashboard.tokenEnv) or pass --token`;
    throw new ConfigError(
      `dashboard.host (--host): ${settings.host} is not a loopback address, and no access token is set, so anyone who can reach it would see the flight; ` +
        `${setToken}, listen on 127.0.0.1, or, to serve it to everyone on that network anyway, pass --insecure-no-token (dashboard.insecureNoToken: true)`,
    );
  }
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
      uploads = await UploadClassifier.open(
        await resolveModel(options.modelPath, 1, logger.child({ stage: 'model' })),
        { mode: config.model.preprocess, intraOpThreads: config.model.intraOpThreads, maxImageMegapixels: config.model.maxImageMegapixels },
        logger.child({ stage: 'try-photo' }),
      );
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
      throw new ConfigError(`--broker: expected a broker URL such as mqtt://host:1883, received "${shownBroker(brokerUrl)}"`);
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
      broker: subscriber?.view() ?? { url: redactUrl(brokerUrl), filter: layout.filter, state: 'connecting', detail: null, since: new Date().toISOString() },
      ...state.snapshot(),
    });

    const guard = new AccessGuard(options.token, settings.host);
    if (!isLoopback(settings.host) && options.token === null) {
      logger.warn(
        { host: settings.host },
        `dashboard: INSECURE: listening on ${settings.host} without an access token (--insecure-no-token / dashboard.insecureNoToken): anyone who can reach it sees the flight and can use the dashboard`,
      );
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

    return { url: `http://${shownHost}:${port}/`, brokerUrl: redactUrl(mqtt.url), close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
