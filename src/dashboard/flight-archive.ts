// The dashboard's view of the ground store (--store): the list of past flights and one flight's results a page at
// a time, read-only, from the GeoPackage or PostGIS that `fieldeye ground` writes.
import type { Logger } from '../platform/logger.js';
import { listFlights } from '../ground/flight-history.js';
import { flightClassCounts, flightResults } from '../ground/flight-results.js';
import { loadGroundStoreConfig, openGroundReader, type GroundReader } from '../ground/ground-reader.js';
import type { FlightListView, StoredFlightView } from './dashboard-types.js';

/** Flights listed at most (newest first): the page lists them all in one panel. */
export const FLIGHT_LIST_MAX = 1_000;
/** Results per page at most, whatever dashboard.maxResultsPerDrone allows. */
export const FLIGHT_PAGE_MAX = 5_000;
/**
 * A listing is reused this long. It scans every stored result (about 0.3 s per 200,000 in a GeoPackage, with the
 * event loop held: better-sqlite3 is synchronous), and every open page asks for it at once when a drone starts a flight.
 */
const LIST_REUSE_MS = 2_000;

export interface FlightArchive {
  readonly description: string;
  list(droneId?: string): Promise<FlightListView>;
  /** null when the store has no such flight. */
  flight(droneId: string, flightId: string, afterSeq: number, limit: number): Promise<StoredFlightView | null>;
  close(): Promise<void>;
}

class StoreArchive implements FlightArchive {
  private recent: { key: string; at: number; list: Promise<FlightListView> } | null = null;

  constructor(private readonly reader: GroundReader) {}

  get description(): string {
    return this.reader.description;
  }

  list(droneId?: string): Promise<FlightListView> {
    const key = droneId ?? '';
    const now = Date.now();
    if (this.recent && this.recent.key === key && now - this.recent.at < LIST_REUSE_MS) return this.recent.list;
    const list = this.listNow(droneId);
    this.recent = { key, at: now, list };
    // A failed listing is not reused: the next request asks the store again.
    list.catch(() => {
      if (this.recent?.list === list) this.recent = null;
    });
    return list;
  }

  private async listNow(droneId?: string): Promise<FlightListView> {
    const flights = await listFlights(this.reader, droneId);
    return { store: this.description, flights: flights.slice(0, FLIGHT_LIST_MAX), limit: FLIGHT_LIST_MAX, truncated: flights.length > FLIGHT_LIST_MAX };
  }

  async flight(droneId: string, flightId: string, afterSeq: number, limit: number): Promise<StoredFlightView | null> {
    const counts = await flightClassCounts(this.reader, droneId, flightId);
    if (counts.length === 0) return null;
    // One row more than asked tells whether another page follows without a count query.
    const rows = await flightResults(this.reader, this.reader.dialect, { droneId, flightId, afterSeq, limit: limit + 1 });
    const results = rows.slice(0, limit);
    const last = results[results.length - 1];
    return {
      droneId,
      flightId,
      total: counts.reduce((n, c) => n + c.count, 0),
      counts,
      results,
      nextAfter: rows.length > limit && last !== undefined ? last.seq : null,
    };
  }

  close(): Promise<void> {
    return this.reader.close();
  }
}

/** Reads the ground config now (its faults are configuration faults at start); the store itself is opened on first use. */
export function openFlightArchive(groundConfigFile: string, logger: Logger): FlightArchive {
  return new StoreArchive(openGroundReader(loadGroundStoreConfig(groundConfigFile), logger));
}
