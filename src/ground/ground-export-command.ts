// `fieldeye ground export --config FILE --out NEW.gpkg [--drone ID] [--flight ID]`: the stored flights as a GeoPackage
// for QGIS, from the store the ground configuration names (PostGIS or GeoPackage); exit 78 on a configuration fault.
import { ConfigError } from '../config/config-error.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { loadGroundConfig } from './ground-config.js';
import { exportToGeoPackage } from './ground-export.js';
import { openGroundStore } from './open-ground-store.js';

export interface GroundExportOptions {
  config: string;
  out: string;
  droneId?: string;
  flightId?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Resolves with the exit status. */
export async function groundExportCommand(options: GroundExportOptions): Promise<number> {
  let logger = options.logger;
  try {
    const { config } = loadGroundConfig(options.config, options.env ?? process.env);
    logger ??= createLogger({ level: config.logLevel });
    const store = await openGroundStore(config, logger);
    try {
      const filter = {
        ...(options.droneId !== undefined ? { droneId: options.droneId } : {}),
        ...(options.flightId !== undefined ? { flightId: options.flightId } : {}),
      };
      const counts = await exportToGeoPackage(store, options.out, filter, config.store.url === '' ? config.store.path : undefined);
      logger.info({ from: store.description, out: options.out, filter, rows: counts }, 'ground export: written');
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    const log = logger ?? createLogger({ level: 'info' });
    log.fatal({ err: (error as Error).message }, `fieldeye ground export: ${(error as Error).message}`);
    return error instanceof ConfigError ? 78 : 1;
  }
}
