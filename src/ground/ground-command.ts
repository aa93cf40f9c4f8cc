// `fieldeye ground --config FILE`: the ground store process; runs until SIGINT/SIGTERM (or the given signal aborts),
// then commits what it has, acknowledges it and exits; configuration faults exit 78 (not restarted by systemd).
import { ConfigError } from '../config/config-error.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { loadGroundConfig } from './ground-config.js';
import { startGroundService, type GroundService } from './ground-service.js';

/** Same statuses as the rest of fieldeye (src/platform/exit-codes.ts), repeated so this command imports no app layer. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 78;

export interface GroundCommandOptions {
  /** The ground configuration file (YAML or JSON). */
  config: string;
  env?: NodeJS.ProcessEnv;
  /** Default: pino on stdout at the configured logLevel. */
  logger?: Logger;
  /** Stops the process when aborted; default: SIGINT and SIGTERM. */
  signal?: AbortSignal;
}

function stopSignal(given: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  if (given) return { signal: given, dispose: () => undefined };
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Resolves with the exit status. */
export async function groundCommand(options: GroundCommandOptions): Promise<number> {
  let logger = options.logger;
  const stop = stopSignal(options.signal);
  let service: GroundService | undefined;
  try {
    const loaded = loadGroundConfig(options.config, options.env ?? process.env);
    logger ??= createLogger({ level: loaded.config.logLevel });
    service = await startGroundService({ config: loaded.config, password: loaded.password, logger });
    const running = service;
    const interval = loaded.config.statsIntervalS;
    const log = logger;
    const stats = interval > 0 ? setInterval(() => log.info({ counts: running.counts() }, 'ground: counts'), interval * 1000) : null;
    const aborted = new Promise<null>((resolve) => {
      if (stop.signal.aborted) resolve(null);
      stop.signal.addEventListener('abort', () => resolve(null), { once: true });
    });
    const fatal = await Promise.race([service.fatal, aborted]);
    if (stats) clearInterval(stats);
    await service.stop();
    logger.info({ counts: service.counts(), store: service.store.description }, 'ground: stopped');
    if (fatal) throw fatal;
    return EXIT_OK;
  } catch (error) {
    const log = logger ?? createLogger({ level: 'info' });
    if (error instanceof ConfigError) {
      log.fatal({ problems: error.problems }, `fieldeye ground: ${error.message}`);
      return EXIT_CONFIG;
    }
    // Not a configuration fault (a database not up yet, a full disk): exit 1 so systemd starts us again.
    const message = (error as Error).message;
    log.fatal({ err: message }, `fieldeye ground: ${message}`);
    return EXIT_FAILURE;
  } finally {
    stop.dispose();
  }
}
