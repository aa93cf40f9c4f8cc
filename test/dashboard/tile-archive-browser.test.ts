// The offline basemap in the browser: `fieldeye dashboard --tiles FILE.mbtiles` (the real CLI) and Debian's chromium
// showing the map: the page asks for tiles inside the file's bounds and every one comes back, drawn as 256 px images.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';
import { allTiles, writeMbtiles } from './tile-archive-files.js';

// No broker runs: the page and its tiles do not need one.
const NO_BROKER = 'mqtt://127.0.0.1:1';
const POLL = { timeout: 30_000, interval: 100 };

let work: string;
let dashboard: DashboardProcess;
let browser: Browser;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-tile-browser-'));
  const file = join(work, 'field.mbtiles');
  writeMbtiles(file, await allTiles(0, 2), { name: 'field', format: 'png', bounds: '-30,-20,60,50', minzoom: '0', maxzoom: '2' });
  dashboard = await startDashboardCli(['--broker', NO_BROKER, '--tiles', file]);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (dashboard) expect(await dashboard.stop()).toBe(0);
  rmSync(work, { recursive: true, force: true });
});

describe('dashboard --tiles FILE.mbtiles', () => {
  it('shows the basemap: the page asks only for tiles inside the bounds, each one succeeds and is drawn', async () => {
    const errors: string[] = [];
    const tileAnswers: { path: string; status: number }[] = [];
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('response', (response) => {
      const path = new URL(response.url()).pathname;
      if (path.startsWith('/tiles/')) tileAnswers.push({ path, status: response.status() });
    });
    await page.goto(dashboard.url);
    const drawn = page.locator('.leaflet-tile-pane img.leaflet-tile-loaded');
    await expect.poll(() => drawn.count(), POLL).toBe(4);
    // The file's bounds (lon -30..60, lat -20..50) fitted at its top zoom, 2: the four tiles that cover them, no others.
    // The test is compiled without the DOM's types: an image as much of it as is read here.
    type Img = { src: string; naturalWidth: number; naturalHeight: number };
    const images = await drawn.evaluateAll((imgs) =>
      imgs.map((img): Img => {
        const { src, naturalWidth, naturalHeight } = img as unknown as Img;
        return { src, naturalWidth, naturalHeight };
      }),
    );
    const sources = images.map((img) => new URL(img.src).pathname);
    expect(sources.sort()).toEqual(['/tiles/2/1/1.png', '/tiles/2/1/2.png', '/tiles/2/2/1.png', '/tiles/2/2/2.png']);
    expect(images.map((img) => `${img.naturalWidth}x${img.naturalHeight}`)).toEqual(['256x256', '256x256', '256x256', '256x256']);
    expect(tileAnswers.sort((a, b) => a.path.localeCompare(b.path))).toEqual(sources.map((path) => ({ path, status: 200 })));
    expect(errors).toEqual([]);
    await page.close();
  });
});
