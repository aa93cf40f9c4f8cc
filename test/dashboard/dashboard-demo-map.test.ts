// The demo's map in Debian's chromium (playwright-core): `fieldeye demo` (embedded broker, real pipeline, dashboard)
// lays the simulated field's truth under the results, draws the class map and the coverage gaps, and every layer
// switches; the test keeps the page's screenshot (test-artifacts/dashboard.png, and docs/dashboard.png when asked).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/dashboard/dashboard-types.js';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import { offsetLatLon } from '../../src/geo/footprint.js';
import type { ClassMapCell } from '../../src/geo/class-map-cells.js';
import type { Result } from '../../src/publish/result-schema.js';
import { ZONE_COLOURS } from '../../src/sim/field-truth-image.js';
import { SIMULATED_ORIGIN, type SimulatedFrameTruth } from '../../src/sim/simulator.js';
import { launchChromium, openLiveDashboardPage } from '../support/chromium.js';
import { CLI, REPO_ROOT } from '../support/run-cli.js';
import { expectedClassMap } from './class-map-expected.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const POLL = { timeout: 30_000, interval: 100 };
/** The e2e demo test's field: every class in it, 84 frames. */
const AREA = { widthM: 200, heightM: 150 };
/** What the field picture adds around the surveyed area, and its scale (renderFieldTruth's defaults). */
const MARGIN_M = 20;
const M_PER_PX = 0.5;

let cache: string;
let demo: ReturnType<typeof spawn>;
let stdout = '';
let stderr = '';
let url: string;
let browser: Browser;
/** Opened while the demo was still building its model: the field reaches it through the event stream. */
let early: Page;
const errors: string[] = [];
let results: Result[] = [];

function printed(pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(stdout);
      if (match) {
        demo.stdout?.off('data', check);
        resolve(match);
      }
    };
    demo.stdout?.on('data', check);
    demo.once('exit', (code) => reject(new Error(`demo exited (${String(code)}) before printing ${pattern}; stderr: ${stderr}`)));
    check();
  });
}

function openPage(): Promise<Page> {
  return openLiveDashboardPage(browser, url, errors);
}

async function state(): Promise<Snapshot> {
  return (await (await fetch(`${url}api/state`)).json()) as Snapshot;
}

function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A colour as the browser's computed style writes it. */
function rgb(hex: string): string {
  return `rgb(${rgbOf(hex).join(', ')})`;
}

/** The class map the ground station's own code makes of the results file: what the page must draw. */
function expectedCells(): ClassMapCell[] {
  return expectedClassMap(results);
}

// Page-side probes are strings: the project compiles for Node (no DOM lib).

/** Every class-map cell as drawn: its data, fill colour (as the browser computes it) and fill opacity. */
const CELLS = `Array.from(document.querySelectorAll('path.fe-classcell')).map((p) => {
  const probe = document.createElement('span');
  document.body.append(probe);
  probe.style.color = p.getAttribute('fill');
  const fill = getComputedStyle(probe).color;
  probe.remove();
  return { row: Number(p.dataset.row), col: Number(p.dataset.col), label: p.dataset.label, share: Number(p.dataset.share), fill, opacity: Number(p.getAttribute('fill-opacity')) };
})`;

/** The field picture's box on screen and every marker's centre, in page pixels. */
const OVERLAY_AND_MARKERS = `(() => {
  const img = document.querySelector('img.fe-field-overlay');
  const r = img.getBoundingClientRect();
  const markers = Array.from(document.querySelectorAll('path.fe-marker')).map((p) => {
    const b = p.getBoundingClientRect();
    return [b.left + b.width / 2, b.top + b.height / 2];
  });
  return { box: { left: r.left, top: r.top, width: r.width, height: r.height }, loaded: img.complete && img.naturalWidth > 0, natural: [img.naturalWidth, img.naturalHeight], src: img.getAttribute('src'), markers };
})()`;

/** The legend's rows: label and swatch colour. */
const LEGEND = `Array.from(document.querySelectorAll('.fe-legend-row')).map((row) => [
  row.querySelector('.fe-legend-label').textContent,
  getComputedStyle(row.querySelector('.fe-swatch')).backgroundColor,
])`;

interface OverlayAndMarkers {
  box: { left: number; top: number; width: number; height: number };
  loaded: boolean;
  natural: [number, number];
  src: string;
  markers: Array<[number, number]>;
}

const mercatorY = (latDeg: number) => Math.log(Math.tan(Math.PI / 4 + (latDeg * Math.PI) / 360));

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'fieldeye-demo-map-'));
  demo = spawn(process.execPath, [CLI, 'demo', '--cache', cache, '--area', `${AREA.widthM}x${AREA.heightM}`, '--port', '0', '--speed', 'max'], {
    cwd: REPO_ROOT,
    env: { ...process.env, FIELDEYE_DASHBOARD_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  demo.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  url = (await printed(/^fieldeye demo: dashboard (http:\/\/\S+\/);/m))[1]!;
  browser = await launchChromium();
  early = await openPage();
  await printed(/^fieldeye demo: the dashboard keeps serving at /m);
  results = (await readResults((await printed(/^results \(JSON lines\): (.+)$/m))[1]!)).items;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGTERM');
    await exited;
  }
  if (cache) await rm(cache, { recursive: true, force: true });
  if (process.env['FIELDEYE_UPDATE_DOCS_SCREENSHOT'] === '1') copyFileSync(join(ARTIFACTS, 'dashboard.png'), join(REPO_ROOT, 'docs/dashboard.png'));
});

describe('the demo on the dashboard map', () => {
  it("lays the simulated field's truth under the results, georeferenced, with each class in its zone's colour", async () => {
    const field = (await state()).settings.field;
    expect(field).not.toBeNull();
    expect(field!.title).toBe('simulated field seed 202 (ground truth)');
    const sw = offsetLatLon(SIMULATED_ORIGIN, -MARGIN_M, -MARGIN_M);
    const ne = offsetLatLon(SIMULATED_ORIGIN, AREA.heightM + MARGIN_M, AREA.widthM + MARGIN_M);
    const [[south, west], [north, east]] = field!.bounds;
    for (const [got, want] of [
      [south, sw.latDeg],
      [west, sw.lonDeg],
      [north, ne.latDeg],
      [east, ne.lonDeg],
    ] as const)
      expect(got).toBeCloseTo(want, 10);

    // The picture: under every frame's centre, the colour of the zone the simulator says is there (darker on a zone's
    // outline, a pixel wide: a centre within a pixel of a boundary).
    const png = await (await fetch(`${url}${field!.url.slice(1)}`)).arrayBuffer();
    const { data, info } = await sharp(Buffer.from(png)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([(AREA.widthM + 2 * MARGIN_M) / M_PER_PX, (AREA.heightM + 2 * MARGIN_M) / M_PER_PX]);
    const dir = (await readdir(cache)).find((d) => d.startsWith('flight-seed202'));
    const frames = (await readFlight(join(cache, dir!))).frames.map((f) => f.source['simulator'] as SimulatedFrameTruth);
    expect(new Set(frames.map((t) => t.zone)).size).toBe(5);
    const pixel = (row: number, col: number) => {
      const at = (row * info.width + col) * 3;
      return [data[at], data[at + 1], data[at + 2]];
    };
    let exact = 0;
    for (const truth of frames) {
      const col = Math.floor((truth.centre.lonDeg - west) / ((east - west) / info.width));
      const row = Math.floor((north - truth.centre.latDeg) / ((north - south) / info.height));
      const [r, g, b] = rgbOf(ZONE_COLOURS[truth.zone]);
      const fill = JSON.stringify([r, g, b]);
      const outline = JSON.stringify([r, g, b].map((v) => Math.round(v * 0.45)));
      if (JSON.stringify(pixel(row, col)) === fill) exact++;
      // Within a pixel (0.5 m) of the centre: the zone's colour, or its outline when the centre is on a boundary.
      const around = [-1, 0, 1].flatMap((dr) => [-1, 0, 1].map((dc) => JSON.stringify(pixel(row + dr, col + dc))));
      expect(around.includes(fill) || around.includes(outline), `${truth.zone} at ${row},${col}: ${around.join(' ')}`).toBe(true);
    }
    expect(exact).toBeGreaterThan(frames.length * 0.9);

    // On the page (the one open since before the model existed got it through the event stream, a new one from its
    // snapshot): the image loaded, and where it lies on screen each result's marker sits at its own position on it.
    const late = await openPage();
    for (const page of [early, late]) {
      await expect.poll(() => page.locator('path.fe-marker').count(), POLL).toBe(results.length);
      await expect.poll(() => page.evaluate(`document.querySelector('img.fe-field-overlay')?.naturalWidth ?? 0`), POLL).toBe(info.width);
      const seen = (await page.evaluate(OVERLAY_AND_MARKERS)) as OverlayAndMarkers;
      expect(seen.src).toBe(field!.url);
      expect(seen.natural).toEqual([info.width, info.height]);
      const { box } = seen;
      const expected = results.map((r) => {
        const p = r.target ?? r.position!;
        const x = box.left + ((p.lonDeg - west) / (east - west)) * box.width;
        const y = box.top + ((mercatorY(north) - mercatorY(p.latDeg)) / (mercatorY(north) - mercatorY(south))) * box.height;
        return [x, y] as const;
      });
      for (const [mx, my] of seen.markers) expect(Math.min(...expected.map(([x, y]) => Math.hypot(x - mx, y - my)))).toBeLessThan(1.5);

      // Markers and legend in the picture's colours, so a wrong result stands out on its zone.
      const legend = (await page.evaluate(LEGEND)) as Array<[string, string]>;
      expect(legend.length).toBeGreaterThan(1);
      for (const [label, colour] of legend) expect(colour, label).toBe(rgb(ZONE_COLOURS[label as keyof typeof ZONE_COLOURS]));
      expect(await page.locator('#fe-field-note').textContent()).toBe('under the results: simulated field seed 202 (ground truth), in the same colours');
    }
    await late.close();
    expect(errors).toEqual([]);
  });

  it('draws the class map from the footprints as the ground station computes it, with class colour, share and tooltip', async () => {
    const page = early;
    const cells = expectedCells();
    expect(cells.length).toBeGreaterThan(50);
    expect(await page.locator('path.fe-classcell').count()).toBe(0);
    await page.locator('#fe-toggle-classmap').check();
    await expect.poll(() => page.locator('path.fe-classcell').count(), POLL).toBe(cells.length);
    const drawn = (await page.evaluate(CELLS)) as Array<{ row: number; col: number; label: string; share: number; fill: string; opacity: number }>;
    const byKey = new Map(cells.map((c) => [`${c.row}:${c.col}`, c]));
    for (const cell of drawn) {
      const want = byKey.get(`${cell.row}:${cell.col}`);
      expect(want, `${cell.row}:${cell.col}`).toBeDefined();
      expect(cell.label).toBe(want!.majorityLabel);
      expect(cell.share).toBeCloseTo(want!.majorityShare, 9);
      expect(cell.fill).toBe(rgb(ZONE_COLOURS[want!.majorityLabel as keyof typeof ZONE_COLOURS]));
      expect(cell.opacity).toBeCloseTo(0.1 + 0.6 * want!.majorityShare, 6);
    }
    // The route: sizes out of bounds and drones not shown are refused with a reason.
    const bad = await fetch(`${url}api/class-map?drone=demo-drone&cellM=0`);
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, '?cellM=: expected metres between 1 and 1000, received "0"']);
    expect((await fetch(`${url}api/class-map?drone=no-such-drone`)).status).toBe(404);

    // Mixed cells exist (a footprint edge or two classes), and their share shows.
    expect(drawn.some((c) => c.share < 0.9)).toBe(true);

    // The tooltip of a mixed cell, with nothing drawn over it (the results, their tracks and the gaps lie above).
    const above = ['points', 'tracks', 'coverage'];
    for (const name of above) await page.locator(`#fe-toggle-${name}`).uncheck();
    const mixed = cells.filter((c) => c.majorityShare < 0.9).sort((a, b) => a.majorityShare - b.majorityShare)[0]!;
    await page.locator(`path.fe-classcell[data-row="${mixed.row}"][data-col="${mixed.col}"]`).hover({ force: true });
    const tip = page.locator('.fe-classcell-tip');
    await expect.poll(() => tip.textContent(), POLL).toContain(`${mixed.majorityLabel}: ${(mixed.majorityShare * 100).toFixed(1)} % of the imaged area`);
    expect(await tip.textContent()).toContain(`10 m cell · ${mixed.footprints} footprint`);
    for (const name of above) await page.locator(`#fe-toggle-${name}`).check();
    expect(errors).toEqual([]);
  });

  it("draws the end-of-flight coverage's gaps and survey lines, and switches every layer off and on", async () => {
    const page = early;
    const coverage = (await state()).drones.find((d) => d.drone.droneId === 'demo-drone')?.drone.coverage;
    expect(coverage).toBeTruthy();
    const gaps = coverage!.gaps.geometry.coordinates.length;
    const lines = coverage!.lines.lines.length;
    expect(gaps).toBeGreaterThan(0);
    expect(lines).toBeGreaterThan(0);
    await expect.poll(() => page.locator('path.fe-gap').count(), POLL).toBe(gaps);
    expect(await page.locator('path.fe-survey-line').count()).toBe(lines);

    const layers: Array<[string, string, number]> = [
      ['points', 'path.fe-marker', results.length],
      ['classmap', 'path.fe-classcell', expectedCells().length],
      ['coverage', 'path.fe-gap', gaps],
      ['field', 'img.fe-field-overlay', 1],
      ['tracks', 'path.fe-track', 1],
    ];
    for (const [name, selector, count] of layers) {
      await page.locator(`#fe-toggle-${name}`).uncheck();
      expect(await page.locator(selector).count(), name).toBe(0);
      await page.locator(`#fe-toggle-${name}`).check();
      await expect.poll(() => page.locator(selector).count(), POLL).toBe(count);
    }

    // The screenshot for the README: the field's truth, the class map over it, the results and the gaps.
    await page.mouse.move(5, 880);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    expect(errors).toEqual([]);
  });
});
