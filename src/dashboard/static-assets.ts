// The page's files, read once at start from the package itself: the dashboard's own browser code (web/, next
// to this file in dist/ or in src/) and Leaflet from node_modules. Nothing is ever fetched from a CDN.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function asset(file: string): StaticAsset {
  const body = readFileSync(file);
  return {
    body,
    contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
  };
}

/** Every file of a folder (not below), by name, for the extensions the page uses. */
function folderAssets(dir: string, urlPrefix: string, into: Map<string, StaticAsset>): void {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isFile() && extname(name) in CONTENT_TYPES) into.set(`${urlPrefix}${name}`, asset(file));
  }
}

/** The browser code's folder: web/ next to this module (the build copies it to dist/). */
export function webDir(): string {
  const dir = fileURLToPath(new URL('./web/', import.meta.url));
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`dashboard: the page's files are missing from ${dir}; run \`npm run build\` (it copies src/dashboard/web there)`);
  }
  return dir;
}

/** URL path -> file contents: / and /app/* (the dashboard), /vendor/leaflet/* (Leaflet's dist build). */
export function loadStaticAssets(): Map<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  const web = webDir();
  folderAssets(web, '/app/', assets);
  const index = assets.get('/app/index.html');
  assets.delete('/app/index.html');
  if (index) assets.set('/', index);
  const leaflet = join(dirname(createRequire(import.meta.url).resolve('leaflet/package.json')), 'dist');
  for (const name of ['leaflet-src.esm.js', 'leaflet.css']) assets.set(`/vendor/leaflet/${name}`, asset(join(leaflet, name)));
  folderAssets(join(leaflet, 'images'), '/vendor/leaflet/images/', assets);
  return assets;
}
