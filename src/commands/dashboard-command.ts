// `fieldeye dashboard`: the ground-station page; runs until SIGINT/SIGTERM, prints its address on stdout, logs on stderr.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import type { Config } from '../config/schema.js';
import { startDashboard } from '../app/start-dashboard.js';
import { createLogger } from '../platform/logger.js';

export interface DashboardCommandOptions {
  config?: string;
  broker?: string;
  embeddedBroker: boolean;
  host?: string;
  port?: number;
  model?: string;
  token?: string;
  /** --insecure-no-token: the loudly named opt-out that lets a non-loopback --host serve without a token. */
  insecureNoToken: boolean;
  tiles?: string;
  /** A ground config file: its store's past flights are listed and reopened (read-only). */
  store?: string;
  /** --ground: also write every result into that store, in this process. */
  ground?: boolean;
}

/** --store (relative to the working directory) or dashboard.store (relative to the config file), or null for none. */
function groundConfigFile(opts: DashboardCommandOptions, configured: string): string | null {
  const file =
    opts.store !== undefined ? resolve(opts.store) : configured === '' ? null : resolve(opts.config ? dirname(resolve(opts.config)) : '.', configured);
  if (file !== null && !existsSync(file)) {
    throw new ConfigError(
      `dashboard.store (--store): no ground config at ${file}; pass the file \`fieldeye ground --config\` runs with (see config/ground.yaml)`,
    );
  }
  return file;
}

export async function dashboardCommand(opts: DashboardCommandOptions): Promise<number> {
  if (opts.broker !== undefined && opts.embeddedBroker) {
    throw new Error('--broker and --embedded-broker: choose one (a broker to subscribe to, or an in-process one on loopback)');
  }
  if (opts.port !== undefined && opts.port > 65535) throw new Error(`--port: expected a port between 0 and 65535 (0 = any free port), received ${opts.port}`);
  const loaded = loadConfig(opts.config ?? null).config;
  const tiles =
    opts.tiles === undefined ? loaded.dashboard.tiles : /^https?:\/\//i.test(opts.tiles) || isAbsolute(opts.tiles) ? opts.tiles : resolve(opts.tiles);
  const config: Config = {
    ...loaded,
    dashboard: {
      ...loaded.dashboard,
      tiles,
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.insecureNoToken ? { insecureNoToken: true } : {}),
    },
  };
  const fromEnv = config.dashboard.tokenEnv === '' ? undefined : process.env[config.dashboard.tokenEnv];
  const token = opts.token ?? fromEnv ?? '';
  const logger = createLogger({ level: config.log.level, destination: 2 });

  const dashboard = await startDashboard({
    config,
    secrets: resolveSecrets(config),
    broker: opts.embeddedBroker ? 'embedded' : (opts.broker ?? null),
    token: token === '' ? null : token,
    modelPath: opts.model !== undefined ? resolve(opts.model) : null,
    store: groundConfigFile(opts, loaded.dashboard.store),
    runGround: opts.ground === true,
    logger,
  });
  const access = token === '' ? '' : ' (access token required: open it once as <address>?token=<token>)';
  process.stdout.write(`fieldeye dashboard: ${dashboard.url}${access}; broker ${dashboard.brokerUrl}\n`);

  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dashboard.close();
  await new Promise<void>((done) => logger.flush(() => done()));
  return 0;
}
