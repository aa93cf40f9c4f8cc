// One flight's results read back from the ground store (GeoPackage or PostGIS), page by page in seq order: what
// `fieldeye prescribe --store` grids, the same fields a results file gives it.
import { ConfigError } from '../config/config-error.js';
import { listFlights } from '../ground/flight-history.js';
import { flightResults, type StoredResult } from '../ground/flight-results.js';
import { loadGroundStoreConfig, openGroundReader } from '../ground/ground-reader.js';
import type { Logger } from '../platform/logger.js';

/** Rows per query: a page, not the whole flight at once from the database. */
const PAGE = 2_000;

export async function readStoredFlight(groundConfig: string, flightId: string, droneId: string | undefined, logger: Logger): Promise<StoredResult[]> {
  const reader = openGroundReader(loadGroundStoreConfig(groundConfig), logger);
  try {
    // The flight id names a flight per drone; without --drone it must be unambiguous in the store.
    const drones = (await listFlights(reader)).filter((f) => f.flightId === flightId && (droneId === undefined || f.droneId === droneId)).map((f) => f.droneId);
    if (drones.length === 0) {
      throw new ConfigError(`--flight: no flight "${flightId}"${droneId !== undefined ? ` of drone "${droneId}"` : ''} in ${reader.description}`);
    }
    if (drones.length > 1) throw new ConfigError(`--flight: "${flightId}" was flown by ${drones.join(', ')}; pass --drone to choose one`);
    const drone = drones[0] as string;
    const results: StoredResult[] = [];
    for (let afterSeq = -1; ;) {
      const page = await flightResults(reader, reader.dialect, { droneId: drone, flightId, afterSeq, limit: PAGE });
      results.push(...page);
      if (page.length < PAGE) return results;
      afterSeq = (page[page.length - 1] as StoredResult).seq;
    }
  } finally {
    await reader.close();
  }
}
