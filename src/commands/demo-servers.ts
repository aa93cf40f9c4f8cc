// The demo's embedded MQTT broker and its dashboard: up before anything slow so the page shows a first start's
// progress, on free ports when the configured ones are taken, and kept serving after the report until a signal.
import { once } from 'node:events';
import type { CleanupStack } from '../app/cleanup-stack.js';
import { startDashboard, type RunningDashboard } from '../app/start-dashboard.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../publish/embedded-broker.js';
import type { DemoOutput } from './demo-output.js';

export interface DemoServers {
  broker: EmbeddedBroker;
  dashboard: RunningDashboard;
}

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

export interface DemoServersOptions {
  config: Config;
  token: string | null;
  /** An explicit --port: the dashboard fails rather than move to another port. */
  portGiven: boolean;
  quiet: Logger;
}

/** Each one is closed by `cleanups` from the moment it is up, so a dashboard that fails to start leaves no broker behind. */
export async function startDemoServers(options: DemoServersOptions, cleanups: CleanupStack, out: DemoOutput): Promise<DemoServers> {
  const { config, token, quiet } = options;
  const broker = await startBroker(config.sinks.mqtt.embeddedBrokerPort, quiet.child({ stage: 'broker' }));
  cleanups.push(() => broker.close());
  const dashboard = await startDemoDashboard(config, broker.url, token, options.portGiven, quiet.child({ stage: 'dashboard' }));
  cleanups.push(() => dashboard.close());
  const access = token === null ? '' : ` (access token from ${config.dashboard.tokenEnv}: open it once as <address>?token=<token>)`;
  out.print(`fieldeye demo: dashboard ${dashboard.url}${access}; broker ${broker.url}`);
  return { broker, dashboard };
}

/** After the report, the dashboard stays up for a look at the map until Ctrl-C or SIGTERM. */
export async function serveUntilSignal(dashboardUrl: string, out: DemoOutput): Promise<void> {
  out.print(`fieldeye demo: the dashboard keeps serving at ${dashboardUrl}; press Ctrl-C (or send SIGTERM) to stop`);
  // Whichever signal comes first; the other listener is removed with the abort.
  const served = new AbortController();
  await Promise.race((['SIGINT', 'SIGTERM'] as const).map((name) => once(process, name, { signal: served.signal }))).finally(() => served.abort());
  out.print('fieldeye demo: stopped');
}
