// End to end: `fieldeye demo` (what `npm start` runs) builds its model and survey on first start, flies the survey through the pipeline to the embedded broker and the dashboard, scores it against the simulator's truth and exports a GeoJSON map; a second start reuses the cache and serves until SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlight, readResults, type RecordedFlight } from '../../src/flight/flight-reader.js';
import type { SimulatedFrameTruth } from '../../src/sim/simulator.js';
import { FIELD_ZONES } from '../../src/flight/recording-format.js';
import type { Result } from '../../src/publish/result-schema.js';
import type { Snapshot } from '../../src/dashboard/dashboard-types.js';
import { CLI, REPO_ROOT, runCli } from '../support/run-cli.js';

// A smaller field than the demo's 300x200 m (84 frames instead of 176) keeps the test short; every class is in it.
const AREA = '200x150';
const LONG = 600_000;

let cache: string;
/** Demos still running: a failed assertion must not leave one serving after the test file. */
const running = new Set<ReturnType<typeof spawn>>();

interface DemoRun {
  /** Resolves with the dashboard address as soon as the demo prints it. */
  url: Promise<string>;
  /** Resolves when stdout has a line matching `pattern`. */
  printed(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, [CLI, 'demo', '--cache', cache, '--area', AREA, '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, FIELDEYE_DASHBOARD_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; done: () => void }> = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiting.splice(0)) {
      if (w.pattern.test(stdout)) w.done();
      else waiting.push(w);
    }
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stdout)) return resolve();
      waiting.push({ pattern, done: resolve });
      void exited.then((code) => reject(new Error(`demo exited (code ${String(code)}) before printing ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`)));
    });
  const url = printed(/^fieldeye demo: dashboard (http:\/\/\S+\/);/m).then(() => /^fieldeye demo: dashboard (http:\/\/\S+\/);/m.exec(stdout)?.[1] as string);
  return { url, printed, exited, stdout: () => stdout, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}

/** Every SSE event of the dashboard until the stream goes away (the dashboard drops its connections when it closes), as [event, data] pairs. */
function collectEvents(url: string): Promise<Array<[string, unknown]>> {
  return new Promise((resolve, reject) => {
    let responded = false;
    const request = get(`${url}events`, (res) => {
      responded = true;
      expect(res.statusCode).toBe(200);
      let buffer = '';
      const events: Array<[string, unknown]> = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) events.push([event, JSON.parse(data)]);
        }
      });
      res.on('close', () => resolve(events));
    });
    request.on('error', (err) => {
      if (!responded) reject(err);
    });
  });
}

/** The demo's survey flight in the cache (one flight folder besides the demo model). */
async function surveyFlight(): Promise<RecordedFlight> {
  const dirs = (await readdir(cache)).filter((d) => d.startsWith('flight-seed'));
  expect(dirs).toHaveLength(1);
  return readFlight(join(cache, dirs[0]!));
}

function truthOf(flight: RecordedFlight): Map<string, string> {
  return new Map(flight.frames.map((f) => [f.name, (f.source['simulator'] as SimulatedFrameTruth).zone]));
}

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'fieldeye-demo-'));
});

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  if (cache) await rm(cache, { recursive: true, force: true });
});

describe('fieldeye demo', () => {
  it(
    'first start: builds the model and the survey, flies it to the dashboard, scores it against the truth and writes a GeoJSON map',
    async () => {
      const demo = startDemo(['--exit', '--speed', 'max']);
      const url = await demo.url;
      // The page is up while the model is built: subscribe now and keep everything the dashboard pushes.
      const events = collectEvents(url);
      const code = await demo.exited;
      const stdout = demo.stdout();
      expect(code, demo.stderr()).toBe(0);
      expect(demo.stderr()).toMatch(/demo model: built .*demo-head-[0-9a-f]{16}\.onnx/);
      expect(demo.stderr()).toMatch(/survey flight: simulated field seed 202/);
      // The broker is the demo's own: no warning about refusals an ACL-free aedes never makes.
      expect(demo.stderr()).not.toMatch(/cannot report refusals/);

      const flight = await surveyFlight();
      const truth = truthOf(flight);
      const frames = flight.frames.length;
      expect(frames).toBeGreaterThan(50);
      expect(new Set(truth.values())).toEqual(new Set(FIELD_ZONES));

      // The printed accuracy is the one the results file gives against the simulator's truth.
      const resultsPath = /^results \(JSON lines\): (.+)$/m.exec(stdout)?.[1];
      expect(resultsPath, stdout).toBeDefined();
      const results = await readResults(resultsPath!);
      expect(results.problems).toEqual([]);
      expect(results.items.map((r) => r.frame.name).sort()).toEqual([...truth.keys()].sort());
      const correct = results.items.filter((r) => r.top[0]?.label === truth.get(r.frame.name)).length;
      const line = /^accuracy (\d+\.\d) % \((\d+) of (\d+) frames\) against the simulator's ground truth/m.exec(stdout);
      expect(line, stdout).not.toBeNull();
      expect(Number(line![2])).toBe(correct);
      expect(Number(line![3])).toBe(frames);
      expect(Number(line![1])).toBeCloseTo((100 * correct) / frames, 1);
      expect(correct / frames).toBeGreaterThanOrEqual(0.9);
      // One line per class, with its frame count from the truth.
      for (const zone of FIELD_ZONES) {
        const count = [...truth.values()].filter((z) => z === zone).length;
        expect(stdout).toMatch(new RegExp(`^\\s+${zone}\\s+${count}\\s+\\d+\\.\\d %\\s+\\d+\\.\\d %$`, 'm'));
      }

      // The field map: one point per frame, at its result's class; the footprints in a layer of their own.
      const mapPath = /^field map \(GeoJSON, \d+ points.*\): (.+)$/m.exec(stdout)?.[1];
      expect(mapPath, stdout).toBeDefined();
      const map = JSON.parse(await readFile(mapPath!, 'utf8')) as {
        type: string;
        features: Array<{ geometry: { type: string }; properties: { kind: string; frame: string; class: string } }>;
      };
      expect(map.type).toBe('FeatureCollection');
      const points = map.features.filter((f) => f.properties.kind === 'point');
      expect(points).toHaveLength(frames);
      const byFrame = new Map(results.items.map((r) => [r.frame.name, r.top[0]?.label]));
      for (const p of points) {
        expect(p.geometry.type).toBe('Point');
        expect(p.properties.class).toBe(byFrame.get(p.properties.frame));
      }
      expect(map.features.every((f) => f.geometry.type === 'Point')).toBe(true);
      const footprintsPath = /^footprints \(GeoJSON, \d+ polygons.*\): (.+)$/m.exec(stdout)?.[1];
      const footprints = JSON.parse(await readFile(footprintsPath!, 'utf8')) as typeof map;
      expect(footprints.features.filter((f) => f.properties.kind === 'footprint' && f.geometry.type === 'Polygon')).toHaveLength(frames);
      expect(footprints.features).toHaveLength(frames);

      // The dashboard got every result over MQTT and pushed it to the page; the stream ended when the demo exited.
      const seen = new Map<number, string | undefined>();
      for (const [event, data] of await events) {
        if (event === 'snapshot') for (const d of (data as Snapshot).drones) for (const r of d.results) seen.set(r.seq, r.top[0]?.label);
        if (event === 'result') {
          const e = data as { droneId: string; result: { seq: number; top: Array<{ label: string }> } };
          expect(e.droneId).toBe(flight.manifest.droneId);
          seen.set(e.result.seq, e.result.top[0]?.label);
        }
      }
      expect(seen.size).toBe(frames);
      for (const r of results.items) expect(seen.get(r.seq), `seq ${r.seq}`).toBe(r.top[0]?.label);
    },
    LONG,
  );

  it(
    'second start reuses the cached model and flight, and keeps the dashboard serving with the results until SIGTERM',
    async () => {
      const model = (await readdir(cache)).find((f) => /^demo-head-[0-9a-f]{16}\.onnx$/.test(f));
      expect(model).toBeDefined();
      const flight = await surveyFlight();
      const before = { model: (await stat(join(cache, model!))).mtimeMs, flight: (await stat(join(flight.dir, 'flight.json'))).mtimeMs };

      const demo = startDemo(['--speed', 'max']);
      const url = await demo.url;
      await demo.printed(/^fieldeye demo: the dashboard keeps serving at .*; press Ctrl-C \(or send SIGTERM\) to stop$/m);
      expect(demo.stderr()).toMatch(/demo model: reused the cached .*demo-head-[0-9a-f]{16}\.onnx/);
      expect(demo.stderr()).toMatch(/survey flight: reused the cached /);
      expect(demo.stderr()).not.toMatch(/demo model: built|simulating the training flight/);
      // Nothing claims a build that did not happen.
      expect(demo.stderr()).not.toMatch(/built on first start|a minute or two/);
      expect((await stat(join(cache, model!))).mtimeMs).toBe(before.model);
      expect((await stat(join(flight.dir, 'flight.json'))).mtimeMs).toBe(before.flight);

      // After the summary the page still has the whole flight (results reach the dashboard through the broker).
      const results = (await readResults(join(cache, 'demo-results.jsonl'))).items;
      expect(results).toHaveLength(flight.frames.length);
      let state: Snapshot | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        state = (await (await fetch(`${url}api/state`)).json()) as Snapshot;
        if (state.drones[0]?.drone.results === results.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(state!.drones).toHaveLength(1);
      const drone = state!.drones[0]!;
      expect(drone.drone.droneId).toBe(flight.manifest.droneId);
      expect(drone.drone.flightId).toBe(flight.manifest.flightId);
      expect(drone.drone.results).toBe(results.length);
      const counts = new Map<string, number>();
      for (const r of results as Result[]) counts.set(r.top[0]!.label, (counts.get(r.top[0]!.label) ?? 0) + 1);
      expect(new Map(drone.drone.counts.map((c) => [c.label, c.count]))).toEqual(counts);

      // Try-a-photo runs with the demo's field-zones model (issue 18): a field tile comes back as a field zone.
      expect(state!.settings.tryPhoto?.model).toBe('resnet18-seed1-fieldzones-sim101');
      const tileDir = join(REPO_ROOT, 'test/fixtures/field-tiles/held-out');
      const tile = await readFile(join(tileDir, (await readdir(tileDir))[0]!));
      const tried = await fetch(`${url}api/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: tile });
      expect(tried.status).toBe(200);
      const verdict = (await tried.json()) as { top: Array<{ label: string }> };
      for (const t of verdict.top) expect(FIELD_ZONES as readonly string[]).toContain(t.label);

      demo.kill('SIGTERM');
      expect(await demo.exited, demo.stderr()).toBe(0);
      expect(demo.stdout()).toMatch(/^fieldeye demo: stopped$/m);
      // Nothing of a build is left behind.
      expect((await readdir(cache)).filter((f) => f.startsWith('.demo-work') || f.includes('.tmp-'))).toEqual([]);
      expect(existsSync(join(cache, 'demo-field-map.geojson'))).toBe(true);
    },
    LONG,
  );

  it('fieldeye model demo writes the same field-zones model as a named file with its card and labels; classify names it and takes it as trained', async () => {
    const out = join(cache, 'named', 'field-zones.onnx');
    const made = await runCli(['model', 'demo', '--cache', cache, '--area', AREA, '--out', out]);
    expect(made.code, made.stderr).toBe(0);
    // The demo's own cached build, not a second one.
    expect(made.stdout).toMatch(
      /^wrote .*field-zones\.onnx \(resnet18-seed1-fieldzones-sim101 \(fp32, 5 classes\); from the cache, held-out accuracy [\d.]+ %/,
    );
    const cached = (await readdir(cache)).find((f) => /^demo-head-[0-9a-f]{16}\.onnx$/.test(f))!;
    // Buffer.equals, not toEqual: a deep comparison of a 45 MB model element by element takes gigabytes.
    expect((await readFile(out)).equals(await readFile(join(cache, cached)))).toBe(true);
    const tile = join(REPO_ROOT, 'test/fixtures/field-tiles/held-out', (await readdir(join(REPO_ROOT, 'test/fixtures/field-tiles/held-out')))[0]!);
    const classified = await runCli(['classify', '--model', out, tile]);
    expect(classified.code, classified.stderr).toBe(0);
    expect(classified.stderr).toBe('fieldeye: classified with resnet18-seed1-fieldzones-sim101 (fp32, 5 classes)\n');
    const shown = classified.stdout
      .split('\n')
      .filter((l) => /%/.test(l))
      .map((l) => l.trim().split(/\s+/).slice(2).join(' '));
    expect([...shown].sort()).toEqual([...FIELD_ZONES].sort());
    expect((await runCli(['model', 'demo', '--cache', cache, '--area', AREA, '--out', out])).stderr).toMatch(/--out: .* exists/);
  });
});
