// Past flights as the ground store remembers them: one summary per (drone, flight) with its time span, result count,
// extent and class counts, newest first; the same SQL on the GeoPackage and on PostGIS.
import type { GroundQueries } from './ground-store.js';

export interface FlightSummary {
  droneId: string;
  flightId: string;
  /** From the flight document (run / armed / ground); null when only results arrived. */
  kind: string | null;
  startedAt: string | null;
  endedAt: string | null;
  modelSha256: string | null;
  results: number;
  firstCapturedAt: string;
  lastCapturedAt: string;
  /** [minLon, minLat, maxLon, maxLat] of the positioned results; null when none had a position. */
  bbox: [number, number, number, number] | null;
  /** Results per top-1 label. */
  classes: Record<string, number>;
}

const num = (v: unknown): number => Number(v);
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Newest first (by last capture); `droneId` narrows to one drone. */
export async function listFlights(store: GroundQueries, droneId?: string): Promise<FlightSummary[]> {
  const where = droneId === undefined ? '' : 'WHERE r.drone_id = ?';
  const params = droneId === undefined ? [] : [droneId];
  const flights = await store.select(
    'SELECT r.drone_id, r.flight_id, count(*) AS results, min(r.captured_at) AS first_at, max(r.captured_at) AS last_at, ' +
      'min(r.lon_deg) AS min_lon, min(r.lat_deg) AS min_lat, max(r.lon_deg) AS max_lon, max(r.lat_deg) AS max_lat, ' +
      'max(f.kind) AS kind, max(f.started_at) AS started_at, max(f.ended_at) AS ended_at, max(f.model_sha256) AS model_sha256 ' +
      `FROM results r LEFT JOIN flights f ON f.drone_id = r.drone_id AND f.flight_id = r.flight_id ${where} ` +
      'GROUP BY r.drone_id, r.flight_id ORDER BY last_at DESC, r.drone_id, r.flight_id',
    params,
  );
  const classes = await store.select(
    `SELECT r.drone_id, r.flight_id, r.top1_label, count(*) AS n FROM results r ${where} GROUP BY r.drone_id, r.flight_id, r.top1_label`,
    params,
  );
  const byFlight = new Map<string, Record<string, number>>();
  for (const c of classes) {
    const key = `${String(c.drone_id)}\u0000${String(c.flight_id)}`;
    byFlight.set(key, { ...byFlight.get(key), [String(c.top1_label)]: num(c.n) });
  }
  return flights.map((f) => ({
    droneId: String(f.drone_id),
    flightId: String(f.flight_id),
    kind: textOrNull(f.kind),
    startedAt: textOrNull(f.started_at),
    endedAt: textOrNull(f.ended_at),
    modelSha256: textOrNull(f.model_sha256),
    results: num(f.results),
    firstCapturedAt: String(f.first_at),
    lastCapturedAt: String(f.last_at),
    bbox: f.min_lon === null ? null : [num(f.min_lon), num(f.min_lat), num(f.max_lon), num(f.max_lat)],
    classes: byFlight.get(`${String(f.drone_id)}\u0000${String(f.flight_id)}`) ?? {},
  }));
}
