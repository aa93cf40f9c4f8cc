// `fieldeye ground export --config FILE --out PATH [--drone ID] [--flight ID] [--since T] [--format gpkg|geojson|csv]
// [--geometry points|footprints|tracks]`: the stored flights for QGIS or a spreadsheet, from the store the ground
// configuration names (PostGIS or GeoPackage); exit 78 on a configuration fault (a bad option, an existing --out).
import { createLogger, type Logger } from '../platform/logger.js';
import { exportShape, parseSince } from './export-options.js';
import { groundCommandFailed } from './ground-command-failure.js';
import { loadGroundConfig } from './ground-config.js';
import { exportStore } from './ground-export.js';
import { openGroundStore } from './open-ground-store.js';
import type { RowFilter } from './row-exchange.js';

export interface GroundExportOptions {
  config: string;
  out: string;
  droneId?: string;
  flightId?: string;
  /** ISO 8601 date or date-time, as typed (checked here). */
  since?: string;
  /** gpkg (default), geojson or csv, as typed (checked here). */
  format?: string;
  /** With geojson: points (default), footprints or tracks. */
  geometry?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Resolves with the exit status. */
export async function groundExportCommand(options: GroundExportOptions): Promise<number> {
  let logger = options.logger;
  try {
    // The options first: a typo is reported before any database is connected to.
    const shape = exportShape(options.format, options.geometry);
    const filter: RowFilter = {
      ...(options.droneId !== undefined ? { droneId: options.droneId } : {}),
      ...(options.flightId !== undefined ? { flightId: options.flightId } : {}),
      ...(options.since !== undefined ? { since: parseSince(options.since) } : {}),
    };
    const { config } = loadGroundConfig(options.config, options.env ?? process.env);
    logger ??= createLogger({ level: config.logLevel });
    const store = await openGroundStore(config, logger);
    try {
      const counts = await exportStore(store, options.out, shape, filter, config.store.url === '' ? config.store.path : undefined);
      logger.info({ from: store.description, out: options.out, ...shape, filter, rows: counts }, 'ground export: written');
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    return groundCommandFailed('ground export', error, logger);
  }
}
