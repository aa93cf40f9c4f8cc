// The ground store port: what the MQTT side hands to a store (validated messages) and what a store promises back
// (one transaction per batch, rows unique on their natural keys so a redelivered message changes nothing).
import type { Result } from '../publish/result-schema.js';
import type { Health } from '../publish/health-schema.js';
import type { Flight } from '../publish/flight-schema.js';
import type { Status } from '../publish/status-schema.js';

/** A message the ground process could not accept, kept aside (never stored as a result). */
export interface RejectedMessage {
  reason: string;
  /** The start of the payload as text (control characters escaped), for a person to see what came. */
  excerpt: string;
  payloadBytes: number;
  /** Redeliveries of the same rejected message are one row: unique on (topic, payloadSha256). */
  payloadSha256: string;
}

interface Received {
  topic: string;
  /** When the ground process read it, ISO 8601 UTC. */
  receivedAt: string;
}

export type GroundRecord = Received &
  (
    | { kind: 'result'; result: Result }
    | { kind: 'health'; health: Health }
    | { kind: 'flight'; flight: Flight }
    | { kind: 'status'; droneId: string; status: Status }
    | { kind: 'rejected'; rejected: RejectedMessage }
    /** Ours to acknowledge but not to store (thumbnails, topics outside the layout). */
    | { kind: 'ignored'; why: string }
  );

export interface FlightKey {
  droneId: string;
  flightId: string;
}

/** What one committed batch changed. Duplicates are results already stored (redeliveries): not written again. */
export interface WriteOutcome {
  resultsInserted: number;
  resultsDuplicate: number;
  footprintsInserted: number;
  healthInserted: number;
  flightsUpserted: number;
  statusesUpserted: number;
  rejectedInserted: number;
}

export interface GroundStore {
  /** For logs: the file path or the redacted database URL. */
  readonly description: string;
  /** Writes every record in one transaction; resolves only once it is committed (durable), rejects without a partial write. */
  write(records: readonly GroundRecord[]): Promise<WriteOutcome>;
  /** Rebuilds the named flights' track lines from their stored results' positions; returns how many tracks exist now. */
  rebuildTracks(flights: readonly FlightKey[]): Promise<number>;
  /** Rebuilds the named flights' class map cells (cellM metres); returns how many cells those flights have now. */
  rebuildClassCells(flights: readonly FlightKey[], cellM: number): Promise<number>;
  close(): Promise<void>;
}

export type SqlParam = string | number;

/** Read-only SQL that SQLite and PostgreSQL both accept, with ? placeholders: the history queries (flight-history.ts). */
export interface GroundQueries {
  /** Rows as objects; times as ISO 8601 text, counts and integers as numbers or numeric strings. */
  select(sql: string, params: readonly SqlParam[]): Promise<Array<Record<string, unknown>>>;
}

export function emptyOutcome(): WriteOutcome {
  return {
    resultsInserted: 0,
    resultsDuplicate: 0,
    footprintsInserted: 0,
    healthInserted: 0,
    flightsUpserted: 0,
    statusesUpserted: 0,
    rejectedInserted: 0,
  };
}
