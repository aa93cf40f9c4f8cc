// The dashboard's HTTP side (node:http): the page and its files under a strict Content-Security-Policy, the
// event stream, thumbnails, local map tiles, past flights from the ground store, and the size-limited photo upload.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../platform/logger.js';
import type { AccessGuard } from './access-guard.js';
import type { DashboardState } from './dashboard-state.js';
import { handleFlightRoute, type FlightRoutes } from './flight-routes.js';
import { handleMapLayerRoute, type MapLayerRoutes } from './map-layer-routes.js';
import type { Snapshot } from './dashboard-types.js';
import type { SseHub } from './sse-hub.js';
import type { StaticAsset } from './static-assets.js';
import type { TileSource } from './tile-source.js';
import { handleTileRoute } from './tile-routes.js';
import { UploadRejected, type UploadClassifier } from './upload-classifier.js';

export interface DashboardServerDeps {
  assets: Map<string, StaticAsset>;
  guard: AccessGuard;
  state: DashboardState;
  hub: SseHub;
  snapshot(): Snapshot;
  tiles: TileSource;
  uploads: UploadClassifier | null;
  uploadMaxBytes: number;
  /** Past flights from the ground store (archive null: those routes answer 404 with what to do). */
  flights: Omit<FlightRoutes, 'logger'>;
  /** The field picture and the class map. */
  mapLayers: MapLayerRoutes;
  logger: Logger;
}

/** No inline script or style, no eval, nothing from other origins except configured map tiles. */
export function contentSecurityPolicy(tiles: TileSource): string {
  const img = ["'self'", 'blob:', ...(tiles.kind === 'template' ? [tiles.cspSource] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${img}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  };
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(`${text}\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
}

/** The request body in memory, refused past `maxBytes` without reading the rest. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      reject(
        new UploadRejected(
          413,
          `the photo is ${(declared / 1048576).toFixed(1)} MiB; at most ${(maxBytes / 1048576).toFixed(0)} MiB are accepted (dashboard.uploadMaxMb)`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        reject(new UploadRejected(413, `the photo is larger than ${(maxBytes / 1048576).toFixed(0)} MiB (dashboard.uploadMaxMb)`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function createDashboardServer(deps: DashboardServerDeps): Server {
  const csp = contentSecurityPolicy(deps.tiles);
  const headers = securityHeaders(csp);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const access = deps.guard.check(req, url);
    if (!access.allow) {
      if ('location' in access) sendText(res, 303, access.message, { location: access.location, 'set-cookie': access.cookie });
      else sendText(res, access.status, `fieldeye dashboard: ${access.message}`);
      return;
    }
    const path = url.pathname;

    if (req.method === 'POST' && path === '/api/classify') {
      await classifyUpload(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'fieldeye dashboard: method not allowed', { allow: 'GET, HEAD, POST' });
      return;
    }
    const asset = deps.assets.get(path);
    if (asset) {
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, { etag: asset.etag });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/events') {
      deps.hub.open(res, deps.snapshot());
      return;
    }
    if (path === '/api/state') {
      sendJson(res, 200, deps.snapshot());
      return;
    }
    if (await handleFlightRoute(path, url, res, { ...deps.flights, logger: deps.logger })) return;
    if (await handleMapLayerRoute(path, url, res, deps.mapLayers)) return;
    const thumb = /^\/thumbs\/([^/]+)\/([^/]+)\/(\d{1,15})\.jpg$/.exec(path);
    if (thumb) {
      const jpeg = deps.state.thumb(decodeURIComponent(thumb[1] as string), decodeURIComponent(thumb[2] as string), Number(thumb[3]));
      if (!jpeg) {
        sendText(res, 404, 'fieldeye dashboard: no such thumbnail (not published, or no longer kept)');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' });
      res.end(jpeg);
      return;
    }
    if (await handleTileRoute(path, res, deps.tiles)) return;
    sendText(res, 404, 'fieldeye dashboard: not found');
  };

  const classifyUpload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!deps.uploads) throw new UploadRejected(404, 'no model loaded: start the dashboard with --model FILE.onnx to try photos');
      const type = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!type.startsWith('image/') && type !== 'application/octet-stream') {
        throw new UploadRejected(415, `this file is not an image (it was sent as ${type.slice(0, 60)}); drop a JPEG, PNG, WebP or TIFF photo`);
      }
      const body = await readBody(req, deps.uploadMaxBytes);
      if (body.length === 0) throw new UploadRejected(400, 'the file is empty; drop a JPEG, PNG, WebP or TIFF photo');
      const verdict = await deps.uploads.classify(body);
      sendJson(res, 200, { ...verdict, model: deps.uploads.info });
    } catch (error) {
      if (!(error instanceof UploadRejected)) throw error;
      // The rest of a refused body is not read: close the connection instead of draining it.
      sendJson(res, error.status, { error: error.message }, { connection: 'close' });
    }
  };

  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      deps.logger.error({ url: req.url, err: (error as Error).message }, 'dashboard: request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the dashboard log' });
      else res.destroy();
    });
  });
}
