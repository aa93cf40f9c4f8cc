// The ground-station dashboard end to end: real Mosquitto, the `fieldeye dashboard` CLI, `fieldeye replay --publish`
// of simulated flights as the drone, and Debian's chromium through playwright-core looking at the page.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { readResults } from '../../src/flight/flight-reader.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import type { Result } from '../../src/publish/result-schema.js';
import type { Snapshot } from '../../src/dashboard/dashboard-types.js';
import { launchChromium, openLiveDashboardPage } from '../support/chromium.js';
import { simulateTwoSmallFlights } from './two-small-flights.js';
import { freeLoopbackPort, startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { CLI, REPO_ROOT, runCli } from '../support/run-cli.js';
import { sampleResult } from '../publish/sample-result.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';

const PHOTO = join(REPO_ROOT, 'test/fixtures/real-photos/seneca_IMG_0448.jpg');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const POLL = { timeout: 30_000, interval: 100 };

let broker: MosquittoBroker;
let work: string;
let modelPath: string;
let dashboard: DashboardProcess;
let browser: Browser;
/** The flight the drone replays (24 frames), and a shorter one for the Last Will test. */
let flightA: string;
let flightB: string;
let resultsA: Result[] = [];
const pages: Page[] = [];

function droneConfig(name: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'log: { level: warn }',
      'sinks:',
      '  mqtt:',
      `    url: "${broker.url}"`,
      '    healthIntervalS: 1',
      `    outbox: { path: ${join(work, `${name}-outbox.sqlite`)} }`,
      '    thumb: { enabled: true, everyNth: 2, widthPx: 96, quality: 60 }',
    ].join('\n'),
  );
  return file;
}

interface PageProblems {
  errors: string[];
}

/** A fresh page on the dashboard, live (event stream open) and subscribed (broker up). */
async function openDashboard(url = dashboard.url): Promise<{ page: Page; problems: PageProblems }> {
  const problems: PageProblems = { errors: [] };
  const page = await openLiveDashboardPage(browser, url, problems.errors);
  pages.push(page);
  await page.locator('#fe-broker[data-state="up"]').waitFor();
  return { page, problems };
}

// Page-side checks are strings: the project compiles for Node (no DOM lib), and these run in the browser.

interface LegendAndMarkers {
  legend: Array<{ label: string; count: number; colour: string }>;
  /** Every marker's fill colour. */
  markers: string[];
}

/** Legend rows and marker fills, colours as the browser computes them (the legend has rgb(), markers hex). */
const LEGEND_AND_MARKERS = `(() => {
  const probe = document.createElement('span');
  document.body.append(probe);
  const rgb = (colour) => { probe.style.color = colour; return getComputedStyle(probe).color; };
  const legend = Array.from(document.querySelectorAll('.fe-legend-row')).map((row) => ({
    label: row.querySelector('.fe-legend-label').textContent,
    count: Number(row.querySelector('.fe-legend-count').textContent),
    colour: getComputedStyle(row.querySelector('.fe-swatch')).backgroundColor,
  }));
  const markers = Array.from(document.querySelectorAll('path.fe-marker')).map((path) => rgb(path.getAttribute('fill')));
  probe.remove();
  return { legend, markers };
})()`;

/** What markup from MQTT would have left behind had it been parsed as HTML. */
const INJECTION_TRACES = `({
  flag: window.__fePwned,
  imgs: document.querySelectorAll('img[src="x"]').length,
  scripts: Array.from(document.scripts).map((s) => s.getAttribute('src')),
  markup: document.querySelectorAll('b, i, svg[onload]').length,
})`;

/** Pixels with any ink on the first drone's class chart. */
const CHART_INK = `(() => {
  const c = document.querySelector('.fe-chart');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
})()`;

const POPUP_THUMB_WIDTH = `document.querySelector('.leaflet-popup img.fe-thumb')?.complete ? document.querySelector('.leaflet-popup img.fe-thumb').naturalWidth : 0`;

function legendAndMarkers(page: Page): Promise<LegendAndMarkers> {
  return page.evaluate(LEGEND_AND_MARKERS) as Promise<LegendAndMarkers>;
}

function topLabelCounts(results: Result[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.top[0]!.label, (counts.get(r.top[0]!.label) ?? 0) + 1);
  return counts;
}

function httpStatus(url: string, options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | Buffer[] } = {}) {
  return new Promise<{ status: number; text: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    // A refused upload closes the connection while we may still be sending: the answer is what counts.
    req.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)));
    for (const chunk of [options.body ?? []].flat()) req.write(chunk);
    req.end();
  });
}

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'fieldeye-dashboard-'));
  modelPath = await ensureSynthModel(1, generatedModelsDir());
  ({ flightA, flightB } = await simulateTwoSmallFlights(work));
  dashboard = await startDashboardCli(['--broker', broker.url, '--model', modelPath]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  const code = await dashboard?.stop();
  expect(code, dashboard?.stderr()).toBe(0);
  await broker?.stop();
});

describe('fieldeye dashboard with a replayed flight', () => {
  it('draws one marker per result coloured as in the legend, legend counts, a popup with the top 3 and the thumbnail; a late page gets it all', async () => {
    const { page, problems } = await openDashboard();
    const out = join(work, 'replay-a.jsonl');
    const replay = await runCli(['replay', flightA, '--publish', '--config', droneConfig('a'), '--speed', 'max', '--out', out]);
    expect(replay.code, replay.stderr).toBe(0);
    resultsA = (await readResults(out)).items;
    expect(resultsA.length).toBeGreaterThanOrEqual(20);

    await expect.poll(() => page.locator('path.fe-marker').count(), POLL).toBe(resultsA.length);
    const expected = topLabelCounts(resultsA);
    await expect.poll(async () => (await legendAndMarkers(page)).legend.reduce((n, row) => n + row.count, 0), POLL).toBe(resultsA.length);
    const { legend, markers } = await legendAndMarkers(page);
    expect(new Map(legend.map((row) => [row.label, row.count]))).toEqual(expected);
    for (const row of legend)
      expect(
        markers.filter((m) => m === row.colour),
        row.label,
      ).toHaveLength(row.count);

    // Markers are drawn in arrival order: the first is seq 0, which has a thumbnail (every 2nd frame).
    await page.locator('path.fe-marker').first().click();
    const popup = page.locator('.leaflet-popup .fe-popup');
    await popup.waitFor();
    expect(await popup.getAttribute('data-seq')).toBe('0');
    const first = resultsA.find((r) => r.seq === 0)!;
    const rows = popup.locator('.fe-top');
    expect(await rows.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(await rows.nth(i).locator('.fe-top-label').textContent()).toBe(first.top[i]!.label);
      expect(Number(await rows.nth(i).getAttribute('data-score'))).toBeCloseTo(first.top[i]!.score, 12);
    }
    expect(await popup.locator('.fe-popup-time').textContent()).toContain(first.capturedAt.replace('T', ' ').replace('Z', ' UTC'));
    expect(await popup.locator('.fe-popup-quality').textContent()).toMatch(
      /^3D fix · HDOP [\d.]+ · \d+ satellites · fix \d+ ms from capture · [\d.]+ m above ground · from recording$/,
    );
    await expect.poll(() => page.evaluate(POPUP_THUMB_WIDTH), POLL).toBe(96);

    const panel = page.locator('[data-drone="simulator"]');
    await expect.poll(() => panel.locator('.fe-status').getAttribute('data-status'), POLL).toBe('offline');
    expect(await panel.locator('[data-field="flight"] .fe-row-value').textContent()).toBe('sim-seed-5');
    expect(await panel.locator('[data-field="fps"] .fe-row-value').textContent()).toMatch(/^\d+\.\d$/);
    expect(await panel.locator('[data-field="outbox"] .fe-row-value').textContent()).toMatch(/^\d+ waiting/);
    // The retained end-of-flight coverage (issue 19), in the crew's words; and the faults row of the health report.
    await expect
      .poll(() => panel.locator('[data-field="coverage"] .fe-row-value').textContent(), POLL)
      .toMatch(/^\d+\.\d % of the surveyed outline \(flight sim-seed-5\), \d+ gaps \(\d+ m²\)/);
    expect(await panel.locator('[data-field="faults"] .fe-row-value').textContent()).toBe('none');
    // Every field of the report has a label of its own (issue 18): none listed raw, no "null" on screen.
    expect(await panel.locator('[data-field="extra"]').count()).toBe(0);
    expect(await panel.locator('[data-field="precision"] .fe-row-value').textContent()).toMatch(/^(fp32|int8), /);
    expect(await panel.locator('[data-field="broker"] .fe-row-value').textContent()).toMatch(/^MQTT (5|3\.1\.1), refusals /);
    expect(await panel.textContent()).not.toMatch(/\bnull\b/);

    // Footprints only on demand; the class chart has been drawn.
    expect(await page.locator('path.fe-footprint').count()).toBe(0);
    await page.locator('#fe-toggle-footprints').check();
    expect(await page.locator('path.fe-footprint').count()).toBe(resultsA.filter((r) => r.footprint !== null).length);
    expect(resultsA.filter((r) => r.footprint !== null).length).toBeGreaterThan(0);
    await page.locator('#fe-toggle-footprints').uncheck();
    expect(await page.locator('path.fe-footprint').count()).toBe(0);
    expect(await page.evaluate(CHART_INK)).toBeGreaterThan(500);

    // No field picture outside the demo: no switch for it, and its address answers 404.
    expect(await page.locator('#fe-toggle-field').isVisible()).toBe(false);
    expect((await httpStatus(`${dashboard.url}field.png`)).status).toBe(404);

    // The README's screenshot is the demo's (dashboard-demo-map.test.ts); this one is kept for a look at a replay.
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-replay.png') });

    const late = await openDashboard();
    await expect.poll(() => late.page.locator('path.fe-marker').count(), POLL).toBe(resultsA.length);
    expect((await legendAndMarkers(late.page)).legend).toEqual(legend);
    expect(problems.errors).toEqual([]);
    expect(late.problems.errors).toEqual([]);
  });

  it('counts and lists malformed payloads, and shows markup from MQTT as text without running it', async () => {
    const { page, problems } = await openDashboard();
    expect(await page.locator('#fe-malformed-count').textContent()).toBe('0');
    const markersBefore = await page.locator('path.fe-marker').count();
    const raw = "<script>window.__fePwned = 'raw'</script>";
    const imgLabel = `<img src=x onerror="window.__fePwned='label'">`;
    const scriptLabel = "<script>window.__fePwned='script'</script>";
    const base = sampleResult(0);
    const evil: Result = {
      ...base,
      droneId: 'evil-drone',
      flightId: 'evil-flight',
      seq: 0,
      frame: { name: '<b>bold</b>' },
      top: [
        { index: 990, label: imgLabel, score: 0.7 },
        { index: 991, label: scriptLabel, score: 0.2 },
        { index: 992, label: '"><svg onload=window.__fePwned=1>', score: 0.1 },
      ],
    };
    const flightDoc = {
      schemaVersion: 1,
      droneId: 'evil-drone',
      flightId: 'evil-flight',
      startedAt: base.capturedAt,
      model: { name: imgLabel, architecture: scriptLabel, sha256: base.model.sha256, precision: 'fp32', inputShape: [1, 3, 224, 224], classes: 1000 },
      configSha256: base.model.sha256,
      software: { name: 'fieldeye', version: '<i>x</i>' },
    };
    const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `fieldeye-test-evil-${process.pid}` });
    await client.publishAsync('fieldeye/v1/evil-drone/flight', JSON.stringify(flightDoc), { qos: 1 });
    await client.publishAsync('fieldeye/v1/evil-drone/result', JSON.stringify(evil), { qos: 1 });
    // Three malformed ones: not JSON, JSON that fails the schema, and a health report with markup in place of numbers.
    await client.publishAsync('fieldeye/v1/evil-drone/result', raw, { qos: 1 });
    await client.publishAsync('fieldeye/v1/evil-drone/result', JSON.stringify({ ...evil, seq: imgLabel }), { qos: 1 });
    await client.publishAsync('fieldeye/v1/evil-drone/health', JSON.stringify({ fps: imgLabel }), { qos: 1 });
    await client.endAsync();

    await expect.poll(async () => Number(await page.locator('#fe-malformed-count').textContent()), POLL).toBeGreaterThanOrEqual(3);
    const state = JSON.parse((await httpStatus(`${dashboard.url}api/state`)).text) as Snapshot;
    expect(state.diagnostics.recent.map((d) => `${d.topic} ${d.problem}`)).toEqual([
      'fieldeye/v1/evil-drone/health schema',
      'fieldeye/v1/evil-drone/result schema',
      'fieldeye/v1/evil-drone/result json',
    ]);
    expect(await page.locator('#fe-malformed-count').textContent()).toBe('3');
    await expect.poll(() => page.locator('path.fe-marker').count(), POLL).toBe(markersBefore + 1);
    const excerpts = await page.locator('#fe-diagnostics-list .fe-excerpt').allTextContents();
    expect(excerpts).toContain(raw);
    expect(excerpts.filter((e) => e.includes('<img src=x onerror='))).toHaveLength(2);
    const labels = await page.locator('.fe-legend-label').allTextContents();
    expect(labels).toContain(imgLabel);
    const evilPanel = page.locator('[data-drone="evil-drone"]');
    expect(await evilPanel.locator('[data-field="model"] .fe-row-value').textContent()).toBe(`${imgLabel} (fp32, 1000 classes)`);

    // The view was fitted to the flights drawn before; the new drone may be elsewhere.
    await page.locator('#fe-fit').click();
    await page.locator('path.fe-marker').last().click();
    const popup = page.locator('.leaflet-popup .fe-popup');
    await popup.waitFor();
    expect(await popup.locator('.fe-top-label').allTextContents()).toEqual([imgLabel, scriptLabel, '"><svg onload=window.__fePwned=1>']);
    expect(await popup.locator('.fe-popup-title').textContent()).toBe('evil-drone · #0 · <b>bold</b>');

    // A page opened now renders the same state from the snapshot: the other path into the DOM.
    const late = await openDashboard();
    await expect.poll(() => late.page.locator('.fe-legend-label').allTextContents(), POLL).toContain(imgLabel);
    for (const p of [page, late.page]) {
      const injected = await p.evaluate(INJECTION_TRACES);
      expect(injected).toEqual({ imgs: 0, scripts: ['/app/main.js'], markup: 0 });
    }
    expect(problems.errors).toEqual([]);
    expect(late.problems.errors).toEqual([]);
  });

  it('turns a killed publisher offline through its Last Will', async () => {
    const { page } = await openDashboard();
    const panel = page.locator('[data-drone="simulator"]');
    // Real time: the replay stays connected for the whole flight unless it is killed.
    const drone = spawn(process.execPath, [CLI, 'replay', flightB, '--publish', '--config', droneConfig('b'), '--speed', '1'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => drone.once('exit', (_code, signal) => resolve(signal)));
    try {
      await expect.poll(() => panel.locator('[data-field="flight"] .fe-row-value').textContent(), POLL).toBe('sim-seed-6');
      await expect.poll(() => panel.locator('.fe-status').getAttribute('data-status'), POLL).toBe('online');
    } finally {
      drone.kill('SIGKILL');
    }
    // SIGKILL: no graceful "offline" can have been sent, only the broker's Last Will.
    expect(await exited).toBe('SIGKILL');
    await expect.poll(() => panel.locator('.fe-status').getAttribute('data-status'), POLL).toBe('offline');
  });

  it("classifies a dropped photo with the drone's classifier, and explains what is not an image", async () => {
    const { page, problems } = await openDashboard();
    await page.setInputFiles('#fe-try-input', PHOTO);
    const rows = page.locator('#fe-try-result .fe-top');
    await expect.poll(() => rows.count(), POLL).toBe(3);
    const cli = await runCli(['classify', PHOTO, '--model', modelPath, '--top', '3', '--json'], { FIELDEYE_LOG_LEVEL: 'error' });
    expect(cli.code, cli.stderr).toBe(0);
    const reference = (JSON.parse(cli.stdout) as { images: Array<{ top: Result['top'] }> }).images[0]!.top;
    for (let i = 0; i < 3; i++) {
      expect(await rows.nth(i).locator('.fe-top-label').textContent()).toBe(reference[i]!.label);
      expect(Number(await rows.nth(i).getAttribute('data-score'))).toBeCloseTo(reference[i]!.score, 5);
    }

    const error = page.locator('#fe-try-result .fe-error');
    await page.setInputFiles('#fe-try-input', { name: 'field-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('rows 4-9 look dry\n') });
    await expect
      .poll(() => error.textContent(), POLL)
      .toMatch(/^field-notes\.txt: this file is not an image \(it was sent as text\/plain\); drop a JPEG, PNG, WebP or TIFF photo$/);
    await page.setInputFiles('#fe-try-input', { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.4 not a photo at all') });
    await expect.poll(() => error.textContent(), POLL).toMatch(/^fake\.jpg: this file is not an image \(27 bytes of something else\)/);
    expect(problems.errors.filter((e) => !e.includes('status of 415'))).toEqual([]);
  });

  it('refuses an upload over the size limit, whether announced or streamed, and a cross-site one', async () => {
    const url = `${dashboard.url}api/classify`;
    const declared = await httpStatus(url, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', 'content-length': 21 * 1048576 },
      body: Buffer.alloc(1024),
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toEqual({ error: 'the photo is 21.0 MiB; at most 20 MiB are accepted (dashboard.uploadMaxMb)' });
    const chunk = Buffer.alloc(1048576, 0xff);
    const streamed = await httpStatus(url, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' },
      body: Array.from({ length: 21 }, () => chunk),
    });
    expect(streamed.status).toBe(413);
    const crossSite = await httpStatus(url, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', origin: 'http://evil.example' },
      body: Buffer.alloc(10),
    });
    expect(crossSite.status).toBe(403);
    const rebound = await httpStatus(`${dashboard.url}api/state`, { headers: { host: 'evil.example' } });
    expect(rebound.status).toBe(403);
    expect(rebound.text).toMatch(/host name "evil\.example" is not accepted without an access token/);
  });
});

describe('fieldeye dashboard access token and offline map tiles', () => {
  let guarded: DashboardProcess | undefined;
  afterAll(async () => {
    await guarded?.stop();
  });

  it('needs the token on every route; ?token= sets an HttpOnly cookie and the page then works', async () => {
    guarded = await startDashboardCli(['--broker', broker.url], { FIELDEYE_DASHBOARD_TOKEN: 'field-day-7' });
    for (const path of ['', 'events', 'api/state', 'app/main.js', '?token=wrong']) {
      const res = await httpStatus(`${guarded.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.text).toMatch(/access token required/);
    }
    expect((await httpStatus(`${guarded.url}api/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Buffer.alloc(4) })).status).toBe(
      401,
    );
    expect((await httpStatus(`${guarded.url}api/state`, { headers: { authorization: 'Bearer field-day-7' } })).status).toBe(200);
    const login = await httpStatus(`${guarded.url}?token=field-day-7`);
    expect(login.status).toBe(303);
    expect(login.headers['location']).toBe('/');
    expect(String(login.headers['set-cookie'])).toMatch(/^fieldeye_dashboard=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);

    const anonymous = await browser.newPage();
    pages.push(anonymous);
    await anonymous.goto(guarded.url);
    expect(await anonymous.locator('body').textContent()).toMatch(/access token required/);
    const { page } = await openDashboard(`${guarded.url}?token=field-day-7`);
    expect(page.url()).toBe(guarded.url);
    // Retained status and flight documents reach the page through the (cookie-authorised) event stream.
    await page.locator('[data-drone="simulator"] .fe-status[data-status="offline"]').waitFor();
  });

  it("--embedded-broker: a drone on the same machine publishes to the dashboard's own broker", async () => {
    const port = await freeLoopbackPort();
    const embedded = await startDashboardCli(['--embedded-broker'], { FIELDEYE__sinks__mqtt__embeddedBrokerPort: String(port) });
    try {
      const config = join(work, 'embedded.yaml');
      writeFileSync(
        config,
        `log: { level: warn }\nsinks: { mqtt: { url: "mqtt://127.0.0.1:${port}", protocolVersion: 4, outbox: { path: ${join(work, 'embedded-outbox.sqlite')} } } }\n`,
      );
      const replay = await runCli(['replay', flightB, '--publish', '--config', config, '--speed', 'max', '--max-frames', '3']);
      expect(replay.code, replay.stderr).toBe(0);
      await expect
        .poll(async () => {
          const state = JSON.parse((await httpStatus(`${embedded.url}api/state`)).text) as Snapshot;
          return state.drones.map((d) => [d.drone.droneId, d.drone.flightId, d.results.length, d.drone.status]);
        }, POLL)
        .toEqual([['simulator', 'sim-seed-6', 3, 'offline']]);
    } finally {
      expect(await embedded.stop()).toBe(0);
    }
  });

  it('draws a local tile folder under the results when one is given', async () => {
    const tiles = join(work, 'tiles');
    const png = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#c8d8b0' } })
      .png()
      .toBuffer();
    for (const [z, x, y] of [
      [0, 0, 0],
      [1, 0, 0],
      [1, 0, 1],
      [1, 1, 0],
      [1, 1, 1],
    ] as const) {
      mkdirSync(join(tiles, String(z), String(x)), { recursive: true });
      writeFileSync(join(tiles, String(z), String(x), `${y}.png`), png);
    }
    const withTiles = await startDashboardCli(['--broker', broker.url, '--tiles', tiles]);
    try {
      const { page, problems } = await openDashboard(withTiles.url);
      await expect.poll(() => page.locator('img.leaflet-tile-loaded[src^="/tiles/1/"]').count(), POLL).toBeGreaterThan(0);
      expect(await page.locator('#fe-map').getAttribute('class')).not.toContain('fe-no-tiles');
      expect((await httpStatus(`${withTiles.url}tiles/1/0/..%2F..%2F0.png`)).status).toBe(404);
      expect((await httpStatus(`${withTiles.url}tiles/1/0/0.png`)).status).toBe(200);
      expect(problems.errors).toEqual([]);
    } finally {
      expect(await withTiles.stop()).toBe(0);
    }
  });
});
