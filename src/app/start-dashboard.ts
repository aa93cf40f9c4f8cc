// Composition of the ground-station dashboard: broker (given or embedded) -> subscriber -> state -> event hub ->
// HTTP server, plus the optional try-a-photo classifier and the optional ground store of past flights; every
// resource opened here is closed by close().
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { loadGroundConfig } from '../ground/ground-config.js';
import { startGroundService } from '../ground/ground-service.js';
import { CleanupStack } from './cleanup-stack.js';
import { resolveDashboardBroker, type DashboardBroker } from './dashboard-broker.js';
import { AccessGuard } from '../dashboard/access-guard.js';
import { resolveModel } from './resolve-model.js';
import { browserHost, isLoopback } from '../dashboard/dashboard-host.js';
import { createDashboardServer } from '../dashboard/dashboard-server.js';
import { DashboardState } from '../dashboard/dashboard-state.js';
import { openFlightArchive, type FlightArchive } from '../dashboard/flight-archive.js';
import { pageMaxFor } from '../dashboard/flight-routes.js';
import type { Snapshot } from '../dashboard/dashboard-types.js';
import { MqttSubscriber } from '../dashboard/mqtt-subscriber.js';
import { SseHub } from '../dashboard/sse-hub.js';
import { loadStaticAssets } from '../dashboard/static-assets.js';
import { fieldOverlayView, type FieldOverlay } from '../dashboard/map-layer-routes.js';
import { LiveClassMaps } from '../dashboard/live-class-maps.js';
import { closeTileSource, openTileSource, tilesView } from '../dashboard/tile-source.js';
import { topicLayout, type TopicLayout } from '../publish/topic-layout.js';
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
  /** A ground config file (`fieldeye ground --config`): past flights are read from its store; null or absent = no past flights. */
  store?: string | null;
  /** Also run the store's writer (`fieldeye ground`) in this process. */
  runGround?: boolean;
  logger: Logger;
}

export interface RunningDashboard {
  /** http://host:port/ as a browser on this machine opens it. */
  readonly url: string;
  /** The broker subscribed to, without credentials: it is printed and shown. */
  readonly brokerUrl: string;
  /**
   * Turns try-a-photo on with this model once it exists (the demo's model is built after the page is up); open pages
   * get the panel through their event stream.
   */
  enableTryPhoto(modelPath: string): Promise<void>;
  /** Lays a picture of the field under the results (the demo's simulated truth); open pages get it through their event stream. */
  showField(field: FieldOverlay): void;
  close(): Promise<void>;
}

type DashboardSettings = Config['dashboard'];

/**
 * Refused before anything is opened: without a token every request is served, so a network address would hand the
 * flight, the map and the try-a-photo classifier to anyone on that network (or the internet, on 0.0.0.0 / ::).
 */
function refuseUnguardedNetwork(settings: DashboardSettings, token: string | null): void {
  if (isLoopback(settings.host) || token !== null || settings.insecureNoToken) return;
  const setToken = settings.tokenEnv === '' ? 'pass --token' : `set ${settings.tokenEnv} (dashboard.tokenEnv) or pass --token`;
  throw new ConfigError(
    `dashboard.host (--host): ${settings.host} is not a loopback address, and no access token is set, so anyone who can reach it would see the flight; ` +
      `${setToken}, listen on 127.0.0.1, or, to serve it to everyone on that network anyway, pass --insecure-no-token (dashboard.insecureNoToken: true)`,
  );
}

/** Past refuseUnguardedNetwork, an unguarded network address was asked for explicitly; the log still says so. */
function warnIfUnguarded(host: string, token: string | null, logger: Logger): void {
  if (isLoopback(host) || token !== null) return;
  logger.warn(
    { host },
    `dashboard: INSECURE: listening on ${host} without an access token (--insecure-no-token / dashboard.insecureNoToken): anyone who can reach it sees the flight and can use the dashboard`,
  );
}

/** The try-a-photo classifier, or null (no upload panel) without a model. */
async function openTryPhoto(modelPath: string | null, config: Config, cleanups: CleanupStack, logger: Logger): Promise<UploadClassifier | null> {
  if (modelPath === null) return null;
  const uploads = await UploadClassifier.open(
    await resolveModel(modelPath, 1, logger.child({ stage: 'model' })),
    { mode: config.model.preprocess, intraOpThreads: config.model.intraOpThreads, maxImageMegapixels: config.model.maxImageMegapixels },
    logger.child({ stage: 'try-photo' }),
  );
  cleanups.push(() => uploads.close());
  return uploads;
}

/**
 * `--ground`: the ground store's writer (what `fieldeye ground --config <store>` runs) in this process, so one command
 * on the operator's laptop keeps every result and shows past flights. Started before the reader: it creates the store.
 */
async function startGroundWriter(store: string | null, cleanups: CleanupStack, logger: Logger): Promise<void> {
  if (store === null) throw new ConfigError('--ground: needs --store GROUND_CONFIG (or dashboard.store): the store it writes is the one the page reads');
  const loaded = loadGroundConfig(store);
  const log = logger.child({ stage: 'ground' });
  const service = await startGroundService({ config: loaded.config, password: loaded.password, logger: log });
  cleanups.push(() => service.stop());
  // A broker that refuses the writer for good (credentials, ACL) is said loudly; the page keeps serving what is stored.
  void service.fatal.then((error) => log.error({ err: error.message }, `dashboard: the ground store writer stopped: ${error.message}`));
  // Once subscribed nothing published is missed: the address is printed only after that (or after a refusal).
  await Promise.race([service.subscribed, service.fatal]);
  log.info({ store: service.store.description, filter: service.filter }, 'dashboard: writing every result into the ground store');
}

/** The ground store's past flights, read-only, or null without --store / dashboard.store. */
function openPastFlights(store: string | null, cleanups: CleanupStack, logger: Logger): FlightArchive | null {
  if (store === null) return null;
  const archive = openFlightArchive(store, logger.child({ stage: 'store' }));
  cleanups.push(() => archive.close());
  logger.info({ store: archive.description }, 'dashboard: past flights from the ground store');
  return archive;
}

/** Listens on dashboard.host:port; a listen failure is a configuration fault. Returns the address a browser here opens. */
async function listenDashboard(server: Server, settings: DashboardSettings, cleanups: CleanupStack): Promise<string> {
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
        // Open SSE streams would otherwise keep close() waiting.
        server.closeAllConnections();
      }),
  );
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : settings.port;
  return `http://${browserHost(settings.host)}:${port}/`;
}

/** Subscribes to the drones' topics: messages go into the state, broker changes out to the browsers. */
function startSubscriber(broker: DashboardBroker, layout: TopicLayout, config: Config, state: DashboardState, hub: SseHub, logger: Logger): MqttSubscriber {
  const { mqtt } = broker;
  return MqttSubscriber.start({
    url: broker.url,
    protocolVersion: broker.protocolVersion,
    filter: layout.filter,
    ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
    ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
    ...(mqtt.tls !== undefined ? { tls: mqtt.tls } : {}),
    reconnectMs: 2_000,
    connectTimeoutMs: config.sinks.mqtt.connectTimeoutMs,
    keepaliveS: config.sinks.mqtt.keepaliveS,
    onMessage: (topic, payload, userProperties) => state.ingest(topic, payload, userProperties),
    onBrokerChange: (change) => hub.broadcast({ type: 'broker', broker: change }),
    logger,
  });
}

/** Opens, in order, the classifier, the broker, state and hub, the listening server and the subscriber; close() undoes them in reverse. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { config, logger } = options;
  const settings = config.dashboard;
  refuseUnguardedNetwork(settings, options.token);
  const cleanups = new CleanupStack();
  try {
    const layout = topicLayout(config.sinks.mqtt.topicPrefix, config.droneId);
    const tiles = await openTileSource(settings.tiles, 'dashboard.tiles (--tiles)');
    cleanups.push(() => closeTileSource(tiles));
    const assets = loadStaticAssets();
    let uploads = await openTryPhoto(options.modelPath, config, cleanups, logger);
    if (options.runGround === true) await startGroundWriter(options.store ?? null, cleanups, logger);
    const archive = openPastFlights(options.store ?? null, cleanups, logger);
    const broker = await resolveDashboardBroker(options.broker, config, options.secrets, cleanups, logger);

    const state = new DashboardState({
      layout,
      maxDrones: settings.maxDrones,
      maxResultsPerDrone: settings.maxResultsPerDrone,
      maxThumbsPerDrone: settings.maxThumbsPerDrone,
      diagnosticsKept: settings.diagnosticsKept,
    });
    const hub = new SseHub({ maxBufferedBytes: 8 * 1024 * 1024, heartbeatMs: 15_000 });
    cleanups.push(() => hub.close());
    state.subscribe((event) => hub.broadcast(event));

    // Started last, once the server listens; until then a snapshot shows the broker as connecting.
    let subscriber: MqttSubscriber | null = null;
    let field: { overlay: FieldOverlay; etag: string } | null = null;
    const uploadMaxBytes = settings.uploadMaxMb * 1024 * 1024;
    const snapshot = (): Snapshot => ({
      settings: {
        tiles: tilesView(tiles),
        tryPhoto: uploads?.info ?? null,
        uploadMaxBytes,
        maxResultsPerDrone: settings.maxResultsPerDrone,
        store: archive?.description ?? null,
        field: field === null ? null : fieldOverlayView(field.overlay, field.etag),
      },
      broker: subscriber?.view() ?? { url: redactUrl(broker.url), filter: layout.filter, state: 'connecting', detail: null, since: new Date().toISOString() },
      ...state.snapshot(),
    });

    const guard = new AccessGuard(options.token, settings.host);
    warnIfUnguarded(settings.host, options.token, logger);
    const flights = { archive, pageMax: pageMaxFor(settings.maxResultsPerDrone) };
    const liveClassMaps = new LiveClassMaps(state);
    cleanups.push(() => liveClassMaps.close());
    // The server reads deps.uploads per request, so enableTryPhoto can hand it a classifier later.
    const mapLayers = { field: () => field?.overlay ?? null, liveClassMaps, archive, pageMax: flights.pageMax };
    const deps = { assets, guard, state, hub, snapshot, tiles, uploads, uploadMaxBytes, flights, mapLayers, logger };
    const server = createDashboardServer(deps);
    const url = await listenDashboard(server, settings, cleanups);
    const enableTryPhoto = async (modelPath: string): Promise<void> => {
      if (uploads !== null) return;
      uploads = await openTryPhoto(modelPath, config, cleanups, logger);
      deps.uploads = uploads;
      hub.broadcast({ type: 'settings', settings: snapshot().settings });
    };
    const showField = (overlay: FieldOverlay): void => {
      field = { overlay, etag: createHash('sha256').update(overlay.png).digest('hex').slice(0, 16) };
      hub.broadcast({ type: 'settings', settings: snapshot().settings });
    };

    const running = startSubscriber(broker, layout, config, state, hub, logger);
    subscriber = running;
    cleanups.push(() => running.close());

    return { url, brokerUrl: redactUrl(broker.mqtt.url), enableTryPhoto, showField, close: () => cleanups.closeAll(logger) };
  } catch (error) {
    await cleanups.closeAll(logger);
    throw error;
  }
}
