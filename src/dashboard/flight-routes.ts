// The past-flights routes: GET /api/flights (the list) and GET /api/flights/<droneId>/<flightId>[?after=&limit=]
// (one page of a flight's results). Ids and numbers are checked here; the store binds them as SQL parameters.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../platform/logger.js';
import { GroundStoreUnavailable } from '../ground/ground-reader.js';
import { FLIGHT_PAGE_MAX, type FlightArchive } from './flight-archive.js';

export interface FlightRoutes {
  archive: FlightArchive | null;
  /** Results per page at most: dashboard.maxResultsPerDrone, capped at FLIGHT_PAGE_MAX. */
  pageMax: number;
  logger: Logger;
}

/** A client error: answered as { error } with this status, never logged as a fault. */
class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Drone and flight ids are MQTT topic levels and free text in results: any text, but not empty, huge or with control characters. */
const MAX_ID_CHARS = 256;

function checkId(id: string, name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (id.length === 0 || id.length > MAX_ID_CHARS || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new RouteError(400, `${name}: expected 1-${MAX_ID_CHARS} characters without control characters`);
  }
  return id;
}

function idSegment(raw: string, name: string): string {
  try {
    return checkId(decodeURIComponent(raw), name);
  } catch (error) {
    if (error instanceof URIError) throw new RouteError(400, `${name}: not a valid percent-encoded path segment`);
    throw error;
  }
}

function intParam(url: URL, name: string, min: number, max: number, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new RouteError(400, `?${name}=: expected an integer between ${min} and ${max}, received "${raw.slice(0, 40)}"`);
  return n;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function answer(path: string, url: URL, routes: FlightRoutes): Promise<unknown> {
  const { archive } = routes;
  if (archive === null) {
    throw new RouteError(404, 'no ground store: start the dashboard with --store GROUND_CONFIG (or set dashboard.store) to list past flights');
  }
  if (path === '/api/flights') {
    const drone = url.searchParams.get('drone');
    return await archive.list(drone === null ? undefined : checkId(drone, '?drone='));
  }
  const match = /^\/api\/flights\/([^/]+)\/([^/]+)$/.exec(path);
  if (!match) throw new RouteError(404, 'not found: /api/flights or /api/flights/<droneId>/<flightId>');
  const droneId = idSegment(match[1] as string, 'droneId');
  const flightId = idSegment(match[2] as string, 'flightId');
  const after = intParam(url, 'after', 0, Number.MAX_SAFE_INTEGER, -1);
  const limit = intParam(url, 'limit', 1, routes.pageMax, routes.pageMax);
  const flight = await archive.flight(droneId, flightId, after, limit);
  if (flight === null) throw new RouteError(404, `no stored flight "${flightId}" of drone "${droneId}"`);
  return flight;
}

/** True when `path` is one of these routes (then the answer has been sent). */
export async function handleFlightRoute(path: string, url: URL, res: ServerResponse, routes: FlightRoutes): Promise<boolean> {
  if (path !== '/api/flights' && !path.startsWith('/api/flights/')) return false;
  try {
    sendJson(res, 200, await answer(path, url, routes));
  } catch (error) {
    if (error instanceof RouteError) sendJson(res, error.status, { error: error.message });
    else if (error instanceof GroundStoreUnavailable) {
      routes.logger.warn({ err: error.message }, 'dashboard: ground store not readable');
      sendJson(res, 503, { error: `ground store not readable now: ${error.message}` });
    } else throw error;
  }
  return true;
}

export function pageMaxFor(maxResultsPerDrone: number): number {
  return Math.min(maxResultsPerDrone, FLIGHT_PAGE_MAX);
}
