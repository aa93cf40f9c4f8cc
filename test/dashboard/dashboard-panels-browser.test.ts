// The drone panel and try-a-photo as an operator reads them (issue 18), end to end: real Mosquitto, the `fieldeye
// dashboard` CLI, `fieldeye replay --publish` as the drone, and Debian's chromium through playwright-core: health
// fields labelled with units and nothing raw, one named clock for the chart and "started", a panel that agrees with
// the offline badge once the flight ended, a legend inside its panel, and try-a-photo switched on by a settings event.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { readResults } from '../../src/flight/flight-reader.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { HealthSchema, type Health } from '../../src/publish/health-schema.js';
import type { Result } from '../../src/publish/result-schema.js';
import { launchChromium, openLiveDashboardPage } from '../support/chromium.js';
import { simulateTwoSmallFlights } from './two-small-flights.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { CLI, REPO_ROOT, runCli } from '../support/run-cli.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';
import { fullHealth, minimalHealth, rawKeys } from './health-reports.js';
import { startTryPhotoDashboard, type TryPhotoDashboard } from './try-photo-dashboard.js';

const POLL = { timeout: 30_000, interval: 100 };
const PHOTO = join(REPO_ROOT, 'test/fixtures/real-photos/seneca_IMG_0448.jpg');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

let broker: MosquittoBroker;
let work: string;
let modelPath: string;
let dashboard: DashboardProcess;
let browser: Browser;
let flightA: string;
let flightB: string;
/** Every health report the drones published, newest last: what the panel must have shown. */
const reports: Health[] = [];
let watcher: MqttClient;
const errors: string[] = [];

function droneConfig(name: string): string {
  const file = join(work, `${name}.yaml`);
  const outbox = join(work, `${name}-outbox.sqlite`);
  writeFileSync(file, `log: { level: warn }\nsinks: { mqtt: { url: "${broker.url}", healthIntervalS: 1, outbox: { path: ${outbox} } } }\n`);
  return file;
}

function openDashboard(url = dashboard.url, viewport = { width: 1400, height: 900 }): Promise<Page> {
  return openLiveDashboardPage(browser, url, errors, viewport);
}

const value = (page: Page, drone: string, field: string) => page.locator(`[data-drone="${drone}"] [data-field="${field}"] .fe-row-value`).textContent();
const label = (page: Page, drone: string, field: string) => page.locator(`[data-drone="${drone}"] [data-field="${field}"] .fe-row-name`).textContent();

/** The drone panel's text as shown, one row a line. */
const panelText = (page: Page, drone: string) => page.locator(`[data-drone="${drone}"]`).innerText();

/** Each legend key's text box and the chart's and panel's boxes, in page pixels (evaluated in the browser). */
const LEGEND_BOXES = `((drone) => {
  const panel = document.querySelector('[data-drone="' + drone + '"]');
  const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
  return {
    panel: box(panel),
    chart: box(panel.querySelector('.fe-chart-box')),
    // The ink of each key, text included: a box can fit while its text spills out of it.
    keys: Array.from(panel.querySelectorAll('.fe-chart-key')).map((k) => {
      const range = document.createRange();
      range.selectNodeContents(k);
      return { ...box(range), text: k.textContent };
    }),
  };
})`;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function inside(inner: Box, outer: Box): boolean {
  return inner.left >= outer.left && inner.right <= outer.right && inner.top >= outer.top && inner.bottom <= outer.bottom;
}

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'fieldeye-panels-'));
  modelPath = await ensureSynthModel(1, generatedModelsDir());
  ({ flightA, flightB } = await simulateTwoSmallFlights(work));
  watcher = await connectAsync(broker.url, { clientId: `fieldeye-test-health-${process.pid}` });
  watcher.on('message', (_topic, payload) => reports.push(HealthSchema.parse(JSON.parse(payload.toString('utf8')))));
  await watcher.subscribeAsync('fieldeye/v1/simulator/health', { qos: 0 });
  dashboard = await startDashboardCli(['--broker', broker.url]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.endAsync();
  const code = await dashboard?.stop();
  expect(code, dashboard?.stderr()).toBe(0);
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the drone panel after a replayed flight', () => {
  let page: Page;
  let results: Result[];

  beforeAll(async () => {
    page = await openDashboard();
    const out = join(work, 'replay-a.jsonl');
    const replay = await runCli(['replay', flightA, '--publish', '--config', droneConfig('a'), '--speed', 'max', '--out', out]);
    expect(replay.code, replay.stderr).toBe(0);
    results = (await readResults(out)).items;
    // Waited for with the browser's own polling: expect.poll belongs in a test.
    await page.locator('[data-drone="simulator"] .fe-status[data-status="offline"]').waitFor({ timeout: POLL.timeout });
    await page.waitForFunction(
      `document.querySelector('[data-drone="simulator"] [data-field="results"] .fe-row-value')?.textContent === '${results.length}'`,
      null,
      {
        timeout: POLL.timeout,
      },
    );
  }, 120_000);

  it('labels every field of a real health report with its unit: no field name, no "null", nothing that does not apply', async () => {
    // The flight's last report, as the test's own subscriber received it, is the one on the page.
    const lastShown = async () => {
      const r = reports.at(-1);
      return r !== undefined && (await value(page, 'simulator', 'drops')) === `${r.frames} frames, ${r.results} results, ${r.drops} dropped`;
    };
    await expect.poll(lastShown, POLL).toBe(true);
    const report = reports.at(-1)!;
    expect(report.flightId).toBe('sim-seed-5');
    const text = await panelText(page, 'simulator');
    for (const key of rawKeys(report)) expect(text, key).not.toContain(key);
    expect(text).not.toMatch(/\bnull\b|\bundefined\b|\bNaN\b|\bn\/a\b|\[object/);
    expect(await label(page, 'simulator', 'fps')).toMatch(/^rate \(results\/s over \d+(\.\d)? s\)$/);
    expect(await value(page, 'simulator', 'fps')).toBe(report.fps.toFixed(1));
    // The last report's window may hold no result (a replay at full speed on a loaded machine): then the panel says so.
    expect(await value(page, 'simulator', 'latency')).toMatch(report.latencyMs ? /^\d+ \/ \d+ ms$/ : /^no result in the last \d+(\.\d+)? s$/);
    expect(await value(page, 'simulator', 'outbox')).toMatch(/^\d+ waiting( \(oldest \d+ s\))? · \d+ acknowledged · \d+ dropped · \d+ refused/);
    expect(await value(page, 'simulator', 'precision')).toMatch(/^(fp32|int8), /);
    expect(await value(page, 'simulator', 'clock')).toMatch(/^stamped with .+ \(reference: (system|GPS)\) · system clock synchronised: (yes|no|cannot tell)$/);
    // A replay on a laptop: no camera, no telemetry link, no thermal cap; a sensor only where this machine has one.
    const panel = page.locator('[data-drone="simulator"]');
    for (const absent of ['camera', 'telemetry', 'thermal', 'extra']) expect(await panel.locator(`[data-field="${absent}"]`).count(), absent).toBe(0);
    if (report.cpuTempC === null) expect(await panel.locator('[data-field="cpuTemp"]').count()).toBe(0);
    else expect(await value(page, 'simulator', 'cpuTemp')).toBe(`${report.cpuTempC.toFixed(1)} °C`);
    if (report.throttled === null) expect(await panel.locator('[data-field="throttled"]').count()).toBe(0);
  });

  it('shows every field of a complete report with its unit, and leaves out every one a minimal report lacks', async () => {
    const client = await connectAsync(broker.url, { clientId: `fieldeye-test-full-${process.pid}` });
    await client.publishAsync('fieldeye/v1/full-drone/health', JSON.stringify(HealthSchema.parse(fullHealth('full-drone'))), { qos: 1 });
    await client.publishAsync('fieldeye/v1/bare-drone/health', JSON.stringify(HealthSchema.parse(minimalHealth('bare-drone'))), { qos: 1 });
    await client.endAsync();
    await expect.poll(() => page.locator('[data-drone="bare-drone"] [data-field="fps"]').count(), POLL).toBe(1);
    await expect.poll(() => page.locator('[data-drone="full-drone"] [data-field="fps"]').count(), POLL).toBe(1);

    const full = await panelText(page, 'full-drone');
    for (const key of rawKeys(fullHealth('full-drone'))) expect(full, key).not.toContain(key);
    expect(full).not.toMatch(/\bnull\b|\bundefined\b|\bNaN\b|\bn\/a\b|\[object/);
    const expected: Record<string, RegExp> = {
      fps: /^7\.5$/,
      latency: /^140 \/ 310 ms$/,
      drops: /^120 frames, 118 results, 2 dropped$/,
      outbox: /^3 waiting \(oldest 4 s\) · 115 acknowledged · 0 dropped · 0 refused$/,
      link: /^up \(connected to mqtt:\/\/gs\.local:1883\)$/,
      cpuTemp: /^71\.3 °C$/,
      throttled: /^now: frequency capped; since boot: under-voltage, frequency capped; 0x30002$/,
      thermal: /^capped at 4\.0 frames\/s · 12 frames dropped by the cap$/,
      camera: /^streaming, 1 restart$/,
      telemetry:
        /^mavlink over udp: up \(receiving\) · 4\.0 samples\/s · last 120 ms ago · 3D fix · 11 satellites · HDOP 0\.8 · 0 link losses · 0 garbled · 2 packets lost$/,
      clock: /^stamped with GPS time \(reference: GPS\) · system clock synchronised: yes · system − GPS 12 ms \(MAVLink SYSTEM_TIME\)$/,
      faults: /^input 2, hardware 1 · last: input at preprocess: corrupt JPEG$/,
      broker: /^MQTT 5, refusals visible, publish check delivered: the retained status came back$/,
      precision: /^int8, timed at this start \(median per frame: FP32 96\.4 ms, int8 41\.2 ms\)$/,
    };
    for (const [field, pattern] of Object.entries(expected)) expect(await value(page, 'full-drone', field), field).toMatch(pattern);
    expect(await label(page, 'full-drone', 'fps')).toBe('rate (results/s over 10 s)');

    const bare = await panelText(page, 'bare-drone');
    expect(bare).not.toMatch(/\bnull\b|\bundefined\b|\bNaN\b|\bn\/a\b|\[object/);
    expect(await value(page, 'bare-drone', 'latency')).toBe('no result in the last 10 s');
    expect(await value(page, 'bare-drone', 'outbox')).toBe('0 waiting · 0 dropped · 0 refused');
    const shown = await page
      .locator('[data-drone="bare-drone"] .fe-drone-body [data-field]')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { field: string } }).dataset.field));
    expect(shown).toEqual(['flight', 'results', 'last', 'fps', 'latency', 'drops', 'outbox', 'link']);
  });

  it('draws the chart axis and "started" in one clock, the capture time, and says so; the run\'s wall clock is named as such', async () => {
    const first = results.map((r) => r.capturedAt).sort()[0]!;
    const last = results
      .map((r) => r.capturedAt)
      .sort()
      .at(-1)!;
    const axis = page.locator('[data-drone="simulator"] .fe-chart-axis');
    expect(await axis.locator('.fe-chart-clock').textContent()).toBe('capture time (UTC)');
    expect(await axis.getAttribute('data-start')).toBe(first.slice(11, 19));
    expect(await axis.getAttribute('data-end')).toBe(last.slice(11, 19));
    expect(await axis.textContent()).toContain(`${first.slice(11, 19)} → ${last.slice(11, 19)}`);
    expect(await label(page, 'simulator', 'started')).toBe('started · capture time');
    expect(await value(page, 'simulator', 'started')).toBe(first.replace('T', ' ').replace('Z', ' UTC'));
    // The replay ran today; the recording's frames were taken on the simulator's day: two clocks, each named.
    expect(first.slice(0, 10)).not.toBe(new Date().toISOString().slice(0, 10));
    expect(await label(page, 'simulator', 'run')).toBe('run started · wall clock');
    const run = Date.parse((await value(page, 'simulator', 'run'))!.replace(' UTC', 'Z').replace(' ', 'T'));
    expect(Math.abs(run - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('keeps the chart legend inside the panel at a laptop viewport and a narrow one, with every class counted', async () => {
    const narrow = await openDashboard(dashboard.url, { width: 1024, height: 700 });
    for (const p of [page, narrow]) {
      await expect.poll(() => p.locator('[data-drone="simulator"] .fe-chart-key').count(), POLL).toBeGreaterThan(1);
      const { panel, chart, keys } = (await p.evaluate(`${LEGEND_BOXES}('simulator')`)) as { panel: Box; chart: Box; keys: Array<Box & { text: string }> };
      for (const key of keys) {
        expect(inside(key, chart), `${key.text} ${JSON.stringify(key)} in chart ${JSON.stringify(chart)}`).toBe(true);
        expect(inside(key, panel), key.text).toBe(true);
      }
      const counted = await p.locator('[data-drone="simulator"] .fe-chart-count').allTextContents();
      expect(counted.reduce((n, c) => n + Number(c), 0)).toBe(results.length);
    }
    // For a look at the chart, its axis and legend as the operator sees them after the flight.
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('[data-drone="simulator"] .fe-chart-box').screenshot({ path: join(ARTIFACTS, 'dashboard-chart.png') });
  });
});

describe('the drone panel when a flight ends', () => {
  it('shows the live fields as current while the drone is online, and as last known, link down, once it is offline', async () => {
    const page = await openDashboard();
    const panel = page.locator('[data-drone="simulator"]');
    const health = panel.locator('.fe-health');
    // Real time, a few frames: connected long enough to be seen online with a report of this flight.
    const drone = spawn(process.execPath, [CLI, 'replay', flightB, '--publish', '--config', droneConfig('b'), '--speed', '1', '--max-frames', '8'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    drone.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => drone.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => value(page, 'simulator', 'flight'), POLL).toBe('sim-seed-6');
      await expect.poll(() => panel.locator('.fe-status').getAttribute('data-status'), POLL).toBe('online');
      await expect.poll(() => health.getAttribute('data-stale'), POLL).toBe('false');
      expect(await value(page, 'simulator', 'link')).toMatch(/^up\b/);
      expect(await panel.locator('[data-stale="true"]').count()).toBe(0);
    } finally {
      // It ends on its own: a graceful end publishes the retained "offline".
      expect(await exited, stderr).toBe(0);
    }
    await expect.poll(() => panel.locator('.fe-status').getAttribute('data-status'), POLL).toBe('offline');
    await expect.poll(() => health.getAttribute('data-stale'), POLL).toBe('true');
    expect(await panel.locator('.fe-status').textContent()).toMatch(/^offline · \d+ s ago$/);
    expect(await panel.locator('.fe-health-title').textContent()).toMatch(/^Health · report received \d+ s ago · the drone is offline: last known values$/);
    expect(await value(page, 'simulator', 'link')).toMatch(/^down: the drone is offline \(at its last report: up/);
    expect(await value(page, 'simulator', 'outbox')).toMatch(/^\d+ waiting.* · at the last report$/);
    for (const field of ['fps', 'latency', 'outbox', 'link'])
      expect(await panel.locator(`[data-field="${field}"]`).getAttribute('data-stale'), field).toBe('true');
    // Greyed: the stale values are drawn in another colour than the current ones.
    const colour = (field: string) =>
      page.evaluate(`getComputedStyle(document.querySelector('[data-drone="simulator"] [data-field="${field}"] .fe-row-value')).color`);
    expect(await colour('link')).not.toBe(await colour('flight'));
    expect(await panelText(page, 'simulator')).not.toMatch(/\bnull\b|link up|^up/m);
    expect(errors).toEqual([]);
  });
});

describe('try a photo switched on while the page is open', () => {
  let running: TryPhotoDashboard | undefined;
  afterAll(async () => {
    await running?.close();
  });

  it('appears on the open page after the settings event and classifies a dropped and a chosen photo with that model', async () => {
    running = await startTryPhotoDashboard(broker.url);
    const page = await openDashboard(running.url);
    expect(await page.locator('#fe-try-body').textContent()).toMatch(/^Start the dashboard with --model/);
    expect(await page.locator('#fe-try-input').count()).toBe(0);

    await running.enableTryPhoto(modelPath);
    await expect.poll(() => page.locator('#fe-try-body .fe-drop-note').textContent(), POLL).toMatch(/^model resnet18\S* \((fp32|int8)\), at most 20 MiB/);

    const cli = await runCli(['classify', PHOTO, '--model', modelPath, '--top', '3', '--json'], { FIELDEYE_LOG_LEVEL: 'error' });
    expect(cli.code, cli.stderr).toBe(0);
    const reference = (JSON.parse(cli.stdout) as { images: Array<{ top: Result['top'] }> }).images[0]!.top;
    const rows = page.locator('#fe-try-result .fe-top');
    const expectReference = async () => {
      await expect.poll(() => rows.count(), POLL).toBe(3);
      for (let i = 0; i < 3; i++) {
        expect(await rows.nth(i).locator('.fe-top-label').textContent()).toBe(reference[i]!.label);
        expect(Number(await rows.nth(i).getAttribute('data-score'))).toBeCloseTo(reference[i]!.score, 5);
      }
    };

    // Dropped on the zone, as a file manager drops it: a DataTransfer holding the photo's bytes.
    const bytes = readFileSync(PHOTO).toString('base64');
    const transfer = await page.evaluateHandle(
      `(() => { const d = new DataTransfer(); d.items.add(new File([Uint8Array.from(atob('${bytes}'), (c) => c.charCodeAt(0))], 'dropped.jpg', { type: 'image/jpeg' })); return d; })()`,
    );
    await page.locator('#fe-try-body .fe-drop').dispatchEvent('drop', { dataTransfer: transfer });
    await expect.poll(() => page.locator('#fe-try-result .fe-try-file').textContent(), POLL).toMatch(/^dropped\.jpg: jpeg \d+×\d+, \d+ ms$/);
    await expectReference();

    await page.locator('#fe-try-result').evaluate((el) => (el as unknown as { replaceChildren(): void }).replaceChildren());
    await page.setInputFiles('#fe-try-input', PHOTO);
    await expect.poll(() => page.locator('#fe-try-result .fe-try-file').textContent(), POLL).toMatch(/^seneca_IMG_0448\.jpg: jpeg /);
    await expectReference();
    expect(errors).toEqual([]);
  });
});
