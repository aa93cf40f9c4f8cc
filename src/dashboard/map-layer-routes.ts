// The map layers' routes: GET /field.png (the field picture given to the dashboard, e.g. the demo's simulated truth)
// and GET /api/class-map?drone=&cellM=[&since=] (the drone's live flight, kept up to date in memory) or
// ?drone=&flight=&from=store (a stored flight, from the ground store): a flight's class map.
import type { ServerResponse } from 'node:http';
import type { FieldOverlayView, ResultView } from './dashboard-types.js';
import type { FlightArchive } from './flight-archive.js';
import { CLASS_MAP_CELL_M, classMapView } from './class-map-view.js';
import type { LiveClassMaps } from './live-class-maps.js';

/** A field picture as the dashboard is handed it: the PNG and where it lies. */
export interface FieldOverlay {
  png: Buffer;
  bounds: FieldOverlayView['bounds'];
  title: string;
  classes: FieldOverlayView['classes'];
}

export const FIELD_PNG_PATH = '/field.png';

/** Results of a stored flight read for its class map at most: about as many as a long day's survey. */
const STORED_RESULTS_MAX = 50_000;

export interface MapLayerRoutes {
  /** Read per request: the demo hands the field over once the page is already up. */
  field(): FieldOverlay | null;
  liveClassMaps: LiveClassMaps;
  archive: FlightArchive | null;
  /** Results per page read from the store. */
  pageMax: number;
}

/** What the page is told of the picture: its address changes with its contents, so a cached older one is not shown. */
export function fieldOverlayView(field: FieldOverlay, etag: string): FieldOverlayView {
  return { url: `${FIELD_PNG_PATH}?v=${etag}`, bounds: field.bounds, title: field.title, classes: field.classes };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A stored flight's results, page by page, up to STORED_RESULTS_MAX; null when the store has no such flight. */
async function storedResults(archive: FlightArchive, droneId: string, flightId: string, pageMax: number): Promise<ResultView[] | null> {
  const results: ResultView[] = [];
  let after = -1;
  while (results.length < STORED_RESULTS_MAX) {
    const page = await archive.flight(droneId, flightId, after, pageMax);
    if (page === null) return results.length > 0 ? results : null;
    results.push(...page.results);
    if (page.nextAfter === null) break;
    after = page.nextAfter;
  }
  return results;
}

async function classMap(url: URL, res: ServerResponse, routes: MapLayerRoutes): Promise<void> {
  const droneId = url.searchParams.get('drone') ?? '';
  const flightId = url.searchParams.get('flight');
  const rawCell = url.searchParams.get('cellM') ?? String(CLASS_MAP_CELL_M.default);
  const cellM = /^\d{1,4}(\.\d{1,3})?$/.test(rawCell) ? Number(rawCell) : NaN;
  if (!(cellM >= CLASS_MAP_CELL_M.min && cellM <= CLASS_MAP_CELL_M.max)) {
    sendJson(res, 400, { error: `?cellM=: expected metres between ${CLASS_MAP_CELL_M.min} and ${CLASS_MAP_CELL_M.max}, received "${rawCell.slice(0, 40)}"` });
    return;
  }
  if (droneId.length === 0 || droneId.length > 256 || (flightId?.length ?? 0) > 256) {
    sendJson(res, 400, { error: '?drone= (and ?flight=): expected 1-256 characters' });
    return;
  }
  if (url.searchParams.get('from') !== 'store') {
    // ?since=REVISION (what the page has): only the cells changed after it; anything else gets every cell.
    const live = routes.liveClassMaps.view(droneId, cellM, url.searchParams.get('since')?.slice(0, 40) ?? null);
    if (live) sendJson(res, 200, live);
    else sendJson(res, 404, { error: `no drone "${droneId.slice(0, 80)}" is shown` });
    return;
  }
  const stored = flightId !== null && routes.archive !== null ? await storedResults(routes.archive, droneId, flightId, routes.pageMax) : null;
  if (stored === null) {
    sendJson(res, 404, { error: `no stored flight "${(flightId ?? '').slice(0, 80)}" of drone "${droneId.slice(0, 80)}"` });
    return;
  }
  sendJson(res, 200, classMapView(droneId, flightId, stored, cellM));
}

/** True when `path` is one of these routes (then the answer has been sent). */
export async function handleMapLayerRoute(path: string, url: URL, res: ServerResponse, routes: MapLayerRoutes): Promise<boolean> {
  if (path === FIELD_PNG_PATH) {
    const field = routes.field();
    if (field === null) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('fieldeye dashboard: no field picture (only the demo has one)\n');
      return true;
    }
    // The address carries the picture's hash (?v=): the same address is always the same picture.
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=86400' });
    res.end(field.png);
    return true;
  }
  if (path === '/api/class-map') {
    await classMap(url, res, routes);
    return true;
  }
  return false;
}
