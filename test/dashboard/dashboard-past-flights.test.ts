// Past flights on the dashboard, end to end: real Mosquitto, the real `fieldeye ground` process writing a GeoPackage,
// `fieldeye dashboard --store` reading it (while it is written, and after restarts), and Debian's chromium on the page.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlightListView, StoredFlightView } from '../../src/dashboard/dashboard-types.js';
import { launchChromium } from '../support/chromium.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';
import { killGrounds, startGround, writeGroundConfig, type GroundChild } from '../ground/ground-harness.js';
import { startDashboardCli, type DashboardProcess } from './dashboard-cli.js';
import { classesOf, http, SURVEY_FLIGHT, SURVEYS, surveyResult, surveyResults } from './past-flights-support.js';
import { DRAWN_CELLS, expectedClassMap } from './class-map-expected.js';

const POLL = { timeout: 30_000, interval: 200 };

let broker: MosquittoBroker;
let work: string;
let groundConfig: string;
let ground: GroundChild;
let browser: Browser | undefined;
const dashboards: DashboardProcess[] = [];

async function flights(dashboard: DashboardProcess): Promise<FlightListView> {
  const res = await http(`${dashboard.url}api/flights`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json as FlightListView;
}

async function dashboardWithStore(env: NodeJS.ProcessEnv = {}): Promise<DashboardProcess> {
  const dashboard = await startDashboardCli(['--broker', broker.url, '--store', groundConfig], env);
  dashboards.push(dashboard);
  return dashboard;
}

/** Both surveys listed with every result stored, newest first (waits for the store to catch up). */
async function expectSurveysListed(dashboard: DashboardProcess): Promise<void> {
  await expect
    .poll(async () => (await flights(dashboard)).flights.map((f) => [f.flightId, f.results]), POLL)
    .toEqual([
      ['survey-b', 12],
      ['survey-a', 30],
    ]);
}

/** What the drones publish: one flight document, then every result at QoS 1. */
async function publishSurveys(): Promise<void> {
  const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `test-surveys-${process.pid}` });
  await client.publishAsync('fieldeye/v1/field-1/flight', JSON.stringify(SURVEY_FLIGHT), { qos: 1 });
  for (const s of SURVEYS) {
    for (const r of surveyResults(s.droneId, s.flightId)) await client.publishAsync(`fieldeye/v1/${s.droneId}/result`, JSON.stringify(r), { qos: 1 });
  }
  await client.endAsync();
}

beforeAll(async () => {
  broker = await startMosquitto();
  work = mkdtempSync(join(tmpdir(), 'fieldeye-past-flights-'));
  groundConfig = await writeGroundConfig(join(work, 'ground.yaml'), {
    broker: { url: broker.url, clientId: `fieldeye-ground-past-${process.pid}` },
    store: { path: 'store/fieldeye.gpkg' },
    statsIntervalS: 0,
  });
  ground = await startGround(groundConfig);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const d of dashboards) await d.stop();
  await killGrounds();
  await broker?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('fieldeye dashboard --store: past flights from the ground store', () => {
  let first: FlightListView;

  it('lists the flights `fieldeye ground` is writing, newest first, and serves one flight in seq order, page by page', async () => {
    const dashboard = await dashboardWithStore();
    await publishSurveys();
    await expectSurveysListed(dashboard);
    first = await flights(dashboard);
    expect(first.truncated).toBe(false);
    const [b, a] = first.flights;
    expect(a).toMatchObject({
      droneId: 'field-1',
      kind: 'run',
      startedAt: '2013-06-04T13:40:00.000Z',
      classes: classesOf(surveyResults('field-1', 'survey-a')),
    });
    expect(b).toMatchObject({ droneId: 'field-2', kind: null, startedAt: null, classes: classesOf(surveyResults('field-2', 'survey-b')) });
    expect((await http(`${dashboard.url}api/flights?drone=field-2`)).json).toMatchObject({ flights: [b] });

    const one = (await http(`${dashboard.url}api/flights/field-1/survey-a`)).json as StoredFlightView;
    const published = surveyResults('field-1', 'survey-a');
    expect(one.total).toBe(30);
    expect(one.nextAfter).toBeNull();
    expect(Object.fromEntries(one.counts.map((c) => [c.label, c.count]))).toEqual(a!.classes);
    expect(one.results.map((r) => r.seq)).toEqual(published.map((r) => r.seq));
    for (const [i, r] of one.results.entries()) {
      const p = published[i]!;
      expect(r.capturedAt).toBe(p.capturedAt);
      expect(r.top).toEqual(p.top);
      expect(r.target).toEqual(p.target);
      expect(r.footprint).toEqual(p.footprint);
      expect(r.positionReason).toBe(p.positionReason);
      expect(r.position === null ? null : [r.position.latDeg, r.position.lonDeg, r.position.source]).toEqual(
        p.position === null ? null : [p.position.latDeg, p.position.lonDeg, p.position.source],
      );
    }

    const page1 = (await http(`${dashboard.url}api/flights/field-1/survey-a?limit=10`)).json as StoredFlightView;
    expect([page1.results.map((r) => r.seq), page1.nextAfter]).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 9]);
    const page2 = (await http(`${dashboard.url}api/flights/field-1/survey-a?after=9&limit=25`)).json as StoredFlightView;
    expect([page2.results.length, page2.results[0]?.seq, page2.nextAfter]).toEqual([20, 10, null]);

    // Unknown flights, ids that would be SQL if pasted into it, and bounds: clear JSON errors.
    const refusals: Array<[string, number, string]> = [
      ['api/flights/field-1/nope', 404, 'no stored flight "nope" of drone "field-1"'],
      [`api/flights/field-1/${encodeURIComponent("survey-a' OR '1'='1")}`, 404, `no stored flight "survey-a' OR '1'='1" of drone "field-1"`],
      ['api/flights/field-1/survey-a?limit=0', 400, '?limit=: expected an integer between 1 and 5000, received "0"'],
      ['api/flights/field-1/survey-a?limit=5001', 400, '?limit=: expected an integer between 1 and 5000, received "5001"'],
      ['api/flights/field-1/survey-a?after=-1', 400, '?after=: expected an integer between 0 and 9007199254740991, received "-1"'],
      ['api/flights/%E0%A4%A/x', 400, 'droneId: not a valid percent-encoded path segment'],
      ['api/flights/field-1/%00', 400, 'flightId: expected 1-256 characters without control characters'],
      ['api/flights/field-1/survey-a/extra', 404, 'not found: /api/flights or /api/flights/<droneId>/<flightId>'],
    ];
    for (const [path, status, error] of refusals) expect(await http(`${dashboard.url}${path}`), path).toEqual({ status, json: { error } });
  });

  it('still lists them after the dashboard and the ground process restarted', async () => {
    expect(await dashboards.shift()!.stop()).toBe(0);
    expect(await ground.stop()).toBe(0);
    const again = await dashboardWithStore();
    expect(await flights(again)).toEqual(first);
  });

  it('needs the token on the past-flight routes; a missing ground config is a configuration fault', async () => {
    const guarded = await dashboardWithStore({ FIELDEYE_DASHBOARD_TOKEN: 'harvest-42' });
    for (const path of ['api/flights', 'api/flights/field-1/survey-a', 'api/flights/field-1/nope']) {
      const res = await http(`${guarded.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(String(res.json)).toMatch(/access token required/);
    }
    const bearer = { authorization: 'Bearer harvest-42' };
    expect((await http(`${guarded.url}api/flights`, bearer)).json).toEqual(first);
    expect((await http(`${guarded.url}api/flights/field-1/survey-a?limit=1`, bearer)).status).toBe(200);
    expect((await http(`${guarded.url}api/flights/field-1/nope`, bearer)).status).toBe(404);

    const missing = await runCli(['dashboard', '--port', '0', '--broker', broker.url, '--store', join(work, 'missing.yaml')]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toBe(
      `fieldeye: dashboard.store (--store): no ground config at ${join(work, 'missing.yaml')}; pass the file \`fieldeye ground --config\` runs with (see config/ground.yaml)\n`,
    );
  });

  it('reopens a stored flight on the map with its legend and chart, live messages still arriving, and goes back to live', async () => {
    const dashboard = dashboards[0]!;
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(dashboard.url);
    await page.locator('#fe-broker[data-state="up"]').waitFor();
    const rows = page.locator('.fe-past-flight');
    const listed = `Array.from(document.querySelectorAll('.fe-past-flight')).map((b) => b.dataset.flight)`;
    await expect.poll(() => page.evaluate(listed), POLL).toEqual(['survey-b', 'survey-a']);
    expect(await rows.nth(1).textContent()).toBe('field-1 · survey-a2013-06-04 13:40 UTC · 30 resultscrop 16 · bare soil 7 · weeds 7');

    await rows.nth(1).click();
    const published = surveyResults('field-1', 'survey-a');
    await expect.poll(() => page.locator('path.fe-marker').count(), POLL).toBe(published.filter((r) => r.position !== null).length);
    const labels = await page.locator('.fe-legend-label').allTextContents();
    const counts = await page.locator('.fe-legend-count').allTextContents();
    expect(Object.fromEntries(labels.map((label, i) => [label, Number(counts[i])]))).toEqual(first.flights[1]!.classes);
    expect(await page.locator('.fe-legend-title').textContent()).toBe('top-1 class · stored flight survey-a');
    const banner = page.locator('#fe-stored-banner');
    expect(await banner.isVisible()).toBe(true);
    expect(await page.locator('#fe-stored-text').textContent()).toBe('stored flight survey-a of field-1 · 2013-06-04 13:40 UTC · 30 results');
    const ink = `(() => { const c = document.getElementById('fe-stored-chart'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`;
    expect(await page.evaluate(ink)).toBeGreaterThan(500);

    // The stored flight's class map, read back from the store and clipped as the ground station does.
    await page.locator('#fe-toggle-classmap').check();
    const cells = expectedClassMap(published);
    expect(cells.length).toBeGreaterThan(1);
    await expect.poll(() => page.locator('path.fe-classcell').count(), POLL).toBe(cells.length);
    const drawn = (await page.evaluate(DRAWN_CELLS)) as Array<{ row: number; col: number; label: string; share: number }>;
    const byCell = new Map(drawn.map((c) => [`${c.row}:${c.col}`, c]));
    for (const cell of cells) {
      expect(byCell.get(`${cell.row}:${cell.col}`)?.label).toBe(cell.majorityLabel);
      expect(byCell.get(`${cell.row}:${cell.col}`)?.share).toBeCloseTo(cell.majorityShare, 9);
    }

    // A drone flying now: its results reach the page (panel, count) but not the stored flight's map.
    const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `test-live-${process.pid}` });
    await client.publishAsync('fieldeye/v1/live-1/result', JSON.stringify(surveyResult('live-1', 'now', 0, 2)), { qos: 1 });
    await client.endAsync();
    await expect.poll(() => page.locator('#fe-stored-live').textContent(), POLL).toBe(' · 1 live result arrived meanwhile');
    expect(await page.locator('[data-drone="live-1"] [data-field="results"] .fe-row-value').textContent()).toBe('1');
    expect(await page.locator('path.fe-marker').count()).toBe(20);
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts/dashboard-past-flight.png') });

    await page.locator('#fe-back-live').click();
    await expect.poll(() => page.locator('path.fe-marker').count(), POLL).toBe(1);
    expect(await banner.isVisible()).toBe(false);
    expect(await page.locator('.fe-legend-label').allTextContents()).toEqual(['crop']);

    // The live drone's class map grows with its flight: after the first answer the page asks only for the changes
    // (?since=), and what it draws stays the map of every result so far.
    const asked: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/api/class-map?drone=live-1')) asked.push(req.url());
    });
    const live = [surveyResult('live-1', 'now', 0, 2)];
    const sender = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `test-live-more-${process.pid}` });
    for (const batch of [
      [1, 6],
      [6, 12],
      [12, 20],
    ]) {
      for (let seq = batch[0]!; seq < batch[1]!; seq++) {
        live.push(surveyResult('live-1', 'now', seq, 2));
        await sender.publishAsync('fieldeye/v1/live-1/result', JSON.stringify(live.at(-1)), { qos: 1 });
      }
      const want = expectedClassMap(live).map((c) => [c.row, c.col, c.majorityLabel, Number(c.majorityShare.toFixed(9))]);
      const liveCells = async () =>
        ((await page.evaluate(DRAWN_CELLS)) as Array<{ drone: string; row: number; col: number; label: string; share: number }>)
          .filter((c) => c.drone === 'live-1')
          .sort((a, b) => a.row - b.row || a.col - b.col)
          .map((c) => [c.row, c.col, c.label, Number(c.share.toFixed(9))]);
      await expect.poll(liveCells, POLL).toEqual(want);
    }
    await sender.endAsync();
    expect(asked.some((u) => u.includes('since='))).toBe(true);
    expect(errors).toEqual([]);
  });
});

describe('fieldeye dashboard --store --ground: the store writer in the same process, one command on a laptop', () => {
  it('stores what the drones publish and lists it; results sent while it was stopped arrive when it starts again', async () => {
    const config = await writeGroundConfig(join(work, 'in-process.yaml'), {
      broker: { url: broker.url, clientId: `fieldeye-ground-in-process-${process.pid}` },
      store: { path: 'in-process/fieldeye.gpkg' },
      statsIntervalS: 0,
    });
    const start = async () => {
      const d = await startDashboardCli(['--broker', broker.url, '--store', config, '--ground']);
      dashboards.push(d);
      return d;
    };
    // The address is printed once the writer's persistent session is subscribed: from then on nothing is missed.
    let dashboard = await start();
    await publishSurveys();
    await expectSurveysListed(dashboard);
    dashboards.splice(dashboards.indexOf(dashboard), 1);
    expect(await dashboard.stop()).toBe(0);

    // While it is down the broker keeps the writer's session: a late result of a third flight waits there.
    const client = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `test-late-${process.pid}` });
    await client.publishAsync('fieldeye/v1/field-3/result', JSON.stringify(surveyResult('field-3', 'late', 0, 2)), { qos: 1 });
    await client.endAsync();
    dashboard = await start();
    await expect
      .poll(async () => (await flights(dashboard)).flights.map((f) => [f.flightId, f.results]), POLL)
      .toEqual([
        ['late', 1],
        ['survey-b', 12],
        ['survey-a', 30],
      ]);

    const alone = await runCli(['dashboard', '--port', '0', '--broker', broker.url, '--ground']);
    expect(alone.code).toBe(78);
    expect(alone.stderr).toMatch(/--ground: needs --store GROUND_CONFIG/);
  });
});
