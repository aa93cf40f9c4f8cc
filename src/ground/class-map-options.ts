// Checks `fieldeye ground classmap`'s options before any store is opened (a wrong value is a configuration fault,
// exit 78, naming the option), and turns the selection into the WHERE clause both stores run on `footprints`.
import { ConfigError, describeValue } from '../config/config-error.js';
import { parseSince } from './export-options.js';

export const CELL_M_MIN = 1;
export const CELL_M_MAX = 1000;
export const DEFAULT_CELL_M = 10;

/** Which footprints go into the map: one flight (of one drone or all), or a capture-time range. */
export interface ClassMapSelection {
  flightId?: string;
  droneId?: string;
  /** ISO 8601 UTC with ms: captured at or after. */
  since?: string;
  /** ISO 8601 UTC with ms: captured before (exclusive, so consecutive ranges do not share a footprint). */
  until?: string;
}

export interface ClassMapArgs {
  flight?: string;
  drone?: string;
  since?: string;
  until?: string;
  cellM?: string;
}

/** --cell-m as metres, 1..1000 (default 10). */
export function parseCellM(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CELL_M;
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value < CELL_M_MIN || value > CELL_M_MAX) {
    throw new ConfigError(`--cell-m: expected a number of metres between ${CELL_M_MIN} and ${CELL_M_MAX}, received ${describeValue(text)}`);
  }
  return value;
}

/** parseSince's rules and wording for --until too (its message names --since: the option is renamed here). */
function parseUntil(text: string): string {
  try {
    return parseSince(text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.message.replace(/^--since:/, '--until:'));
  }
}

/** One flight (--flight, optionally --drone) or a time range (--since, optionally --until and --drone); not both. */
export function classMapSelection(args: ClassMapArgs): ClassMapSelection {
  if (args.flight !== undefined && (args.since !== undefined || args.until !== undefined)) {
    throw new ConfigError('--flight: a class map is of one flight (--flight) or of a capture-time range (--since [--until]), not both');
  }
  if (args.flight === undefined && args.since === undefined) {
    if (args.until !== undefined) throw new ConfigError('--until: only with --since (the start of the range)');
    throw new ConfigError('--flight or --since: say which footprints to map (one flight, or what was captured since a time)');
  }
  const drone = args.drone !== undefined ? { droneId: args.drone } : {};
  if (args.flight !== undefined) return { flightId: args.flight, ...drone };
  const since = parseSince(args.since as string);
  if (args.until === undefined) return { since, ...drone };
  const until = parseUntil(args.until);
  if (until <= since) throw new ConfigError(`--until: ${args.until} is not after --since ${args.since as string}; the range would be empty`);
  return { since, until, ...drone };
}

/** The selection as the options that made it, for messages ("no footprints for --flight f1 --drone d1"). */
export function describeSelection(s: ClassMapSelection): string {
  const parts: string[] = [];
  if (s.flightId !== undefined) parts.push(`--flight ${JSON.stringify(s.flightId)}`);
  if (s.since !== undefined) parts.push(`--since ${s.since}`);
  if (s.until !== undefined) parts.push(`--until ${s.until}`);
  if (s.droneId !== undefined) parts.push(`--drone ${JSON.stringify(s.droneId)}`);
  return parts.join(' ');
}

/**
 * The WHERE clause on `footprints` (placeholders numbered by `placeholder`, values as parameters: no user text in
 * SQL). Times compare as text in the GeoPackage (its times are all toISOString's form, as parseSince returns) and as
 * timestamptz in PostGIS.
 */
export function selectionWhere(s: ClassMapSelection, placeholder: (n: number) => string): { sql: string; params: string[] } {
  const terms: Array<[string, string]> = [];
  if (s.flightId !== undefined) terms.push(['"flight_id" = ', s.flightId]);
  if (s.droneId !== undefined) terms.push(['"drone_id" = ', s.droneId]);
  if (s.since !== undefined) terms.push(['"captured_at" >= ', s.since]);
  if (s.until !== undefined) terms.push(['"captured_at" < ', s.until]);
  return {
    sql: ['"geom" IS NOT NULL', ...terms.map(([test], i) => `${test}${placeholder(i + 1)}`)].join(' AND '),
    params: terms.map(([, value]) => value),
  };
}
