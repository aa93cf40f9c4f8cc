// Measures the ground store process (dist/src/ground/ground-main.js, a child like in production): results/s stored
// into GeoPackage and into PostGIS with 1 and 3 drones publishing at full speed through a real Mosquitto, the same
// for a backlog queued at the broker while the ground process was down, and its RSS over a long run.
// Usage: npm run build && node dist/bench/ground-bench.js [--results N] [--rss-results N] [--json FILE]
import { squareFootprint } from '../test/support/square-footprint.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { stringify } from 'yaml';
import { RESULT_SCHEMA_VERSION, type Result } from '../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from '../test/support/mosquitto.js';
import { startPostgis, type PostgisServer } from '../test/support/postgis.js';

const GROUND_MAIN = resolve(import.meta.dirname, '../src/ground/ground-main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Results per flight: half an hour at 10 frames/s. The ground process rebuilds a touched flight's track and class
 * cells from all its results every few seconds, so its memory follows the longest flight, not the store's size;
 * a bench that put 100,000 results into one flight would measure a 3-hour flight, not a full store.
 */
const FLIGHT_RESULTS = 18_000;

/** A result as a drone sends it: top-5, a position and a footprint (about 1.3 KB of JSON). */
function result(droneId: string, seq: number): Result {
  const lat = 41.03 + (seq % 400) * 0.00002;
  const lon = -83.3 + Math.floor(seq / 400) * 0.0001;
  const d = 0.00004;
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    droneId,
    flightId: `bench-flight-${Math.floor(seq / FLIGHT_RESULTS)}`,
    seq,
    capturedAt: new Date(Date.UTC(2026, 0, 1) + seq * 100).toISOString(),
    timeSource: 'sensor',
    clock: { source: 'gps', synchronised: true, systemMinusGpsMs: 3 },
    frame: { name: `frame-${seq}.jpg` },
    position: {
      latDeg: lat,
      lonDeg: lon,
      altMslM: 276,
      altAglM: 60,
      source: 'mavlink',
      fixType: 3,
      hdop: 0.9,
      satellites: 12,
      sampleAgeMs: 40,
      courseDeg: 90,
      attitude: { rollDeg: 1, pitchDeg: -2, yawDeg: 90 },
    },
    positionReason: null,
    target: { latDeg: lat, lonDeg: lon },
    footprint: squareFootprint(lat, lon, d),
    footprintReason: null,
    top: ['crop', 'weeds', 'bare soil', 'water', 'stressed crop'].map((label, index) => ({ index, label, score: [0.71, 0.12, 0.09, 0.05, 0.03][index] ?? 0 })),
    model: { name: 'resnet18-fieldeye-int8', sha256: 'a'.repeat(64), precision: 'int8' },
    timingsMs: { decode: 4.1, preprocess: 2.3, inference: 31.5, total: 38.2 },
  };
}

/** One drone's forwarder at full speed: QoS 1, 64 in flight. Resolves when the broker has acknowledged all. */
async function publish(url: string, droneId: string, count: number): Promise<void> {
  const client = await connectAsync(url, { protocolVersion: 5, clientId: `bench-${droneId}`, reconnectPeriod: 0 });
  const inflight = new Set<Promise<unknown>>();
  for (let seq = 0; seq < count; seq += 1) {
    const p: Promise<unknown> = client
      .publishAsync(`fieldeye/v1/${droneId}/result`, JSON.stringify(result(droneId, seq)), { qos: 1 })
      .then(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= 64) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  await client.endAsync();
}

interface Ground {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Ground processes still running, killed if the bench fails half-way. */
const children = new Set<ChildProcess>();

async function startGround(configFile: string): Promise<Ground> {
  const child = spawn(process.execPath, [GROUND_MAIN, '--config', configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  while (!out.includes('"ground: subscribed"')) {
    if (child.exitCode !== null) throw new Error(`ground bench: the ground process exited:\n${out}`);
    await sleep(20);
  }
  return { child, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

interface Store {
  name: string;
  config: Record<string, string>;
  count(): Promise<number>;
  close?(): Promise<void>;
}

function geopackage(dir: string, name: string): Store {
  const path = join(dir, `${name}.gpkg`);
  return {
    name: 'GeoPackage',
    config: { url: '', path },
    count: () => {
      try {
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          return Promise.resolve(Number(db.prepare('SELECT count(*) FROM results').pluck().get()));
        } finally {
          db.close();
        }
      } catch {
        return Promise.resolve(0);
      }
    },
  };
}

async function postgisStore(server: PostgisServer, name: string): Promise<Store> {
  const url = await server.createDatabase(name);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // the server stopping at the end of the bench
  await client.connect();
  return {
    name: 'PostGIS',
    config: { url },
    close: () => client.end(),
    count: async () => {
      try {
        return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM results')).rows[0]?.n ?? 0);
      } catch {
        return 0;
      }
    },
  };
}

interface Run {
  store: string;
  drones: number;
  mode: 'live' | 'backlog';
  results: number;
  seconds: number;
  resultsPerS: number;
  /** RSS when 25, 50, 75 and 100 % of the results were stored, and the largest sample. */
  rssMb: { at25: number; at50: number; at75: number; at100: number; max: number; firstHalfMax: number; secondHalfMax: number };
}

const peak = (samples: ReadonlyArray<{ rss: number }>): number => Math.round(Math.max(0, ...samples.map((x) => x.rss)));

/** live: drones publish while the ground process stores. backlog: published while it was stopped, then drained. */
async function measure(broker: MosquittoBroker, store: Store, dir: string, drones: number, perDrone: number, mode: Run['mode']): Promise<Run> {
  const tag = `${store.name}-${drones}-${mode}-${perDrone}`.toLowerCase();
  const configFile = join(dir, `${tag}.yaml`);
  writeFileSync(configFile, stringify({ broker: { url: broker.url, clientId: `ground-${tag}` }, store: store.config, statsIntervalS: 0 }));
  const ids = Array.from({ length: drones }, (_, i) => `drone-${tag}-${i}`);
  const total = drones * perDrone;
  let ground = await startGround(configFile);
  if (mode === 'backlog') {
    await ground.stop(); // the session (and its subscription) stays with the broker
    await Promise.all(ids.map((id) => publish(broker.url, id, perDrone)));
    ground = await startGround(configFile);
  }
  const pid = ground.child.pid ?? 0;
  const samples: Array<{ stored: number; rss: number }> = [];
  const start = performance.now();
  const publishing = mode === 'live' ? Promise.all(ids.map((id) => publish(broker.url, id, perDrone))) : Promise.resolve([]);
  for (let n = await store.count(); n < total; n = await store.count()) {
    samples.push({ stored: n, rss: rssMb(pid) });
    await sleep(100);
  }
  const seconds = (performance.now() - start) / 1000;
  await publishing;
  samples.push({ stored: total, rss: rssMb(pid) });
  await ground.stop();
  const at = (fraction: number): number => Math.round(samples.find((x) => x.stored >= fraction * total)?.rss ?? 0);
  return {
    store: store.name,
    drones,
    mode,
    results: total,
    seconds: Math.round(seconds * 100) / 100,
    resultsPerS: Math.round(total / seconds),
    rssMb: {
      at25: at(0.25),
      at50: at(0.5),
      at75: at(0.75),
      at100: at(1),
      max: Math.round(Math.max(...samples.map((x) => x.rss))),
      // Peaks, not single samples: a sample lands anywhere on the garbage collector's sawtooth, a half's peak does not.
      firstHalfMax: peak(samples.filter((x) => x.stored < total / 2)),
      secondHalfMax: peak(samples.filter((x) => x.stored >= total / 2)),
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { results: { type: 'string', default: '20000' }, 'rss-results': { type: 'string', default: '100000' }, json: { type: 'string' } },
  });
  const results = Number(values.results);
  const rssResults = Number(values['rss-results']);
  const dir = mkdtempSync(join(tmpdir(), 'fieldeye-ground-bench-'));
  const broker = await startMosquitto({ extraConfig: ['max_queued_messages 10000000'] });
  // fsync on: a commit here is as durable as on a real ground station, which is what acknowledging after it promises.
  const server = await startPostgis({ durable: true });
  const runs: Run[] = [];
  try {
    let n = 0;
    const stores = async (): Promise<Store[]> => [geopackage(dir, `g${++n}`), await postgisStore(server, `p${++n}`)];
    for (const [drones, mode] of [
      [1, 'live'],
      [3, 'live'],
      [1, 'backlog'],
    ] as const) {
      for (const store of await stores()) {
        const run = await measure(broker, store, dir, drones, Math.round(results / drones), mode);
        await store.close?.();
        runs.push(run);
        console.log(JSON.stringify(run));
      }
    }
    for (const store of await stores()) {
      const run = await measure(broker, store, dir, 1, rssResults, 'live');
      await store.close?.();
      runs.push(run);
      console.log(JSON.stringify(run));
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await broker.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nFlights of ${FLIGHT_RESULTS.toLocaleString('en')} results (half an hour at 10 frames/s) each.\n`);
  console.log('| store | drones | mode | results | s | results/s | RSS MB at 25 / 50 / 75 / 100 % stored (max) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(
      `| ${r.store} | ${r.drones} | ${r.mode} | ${r.results} | ${r.seconds} | ${r.resultsPerS} | ${r.rssMb.at25} / ${r.rssMb.at50} / ${r.rssMb.at75} / ${r.rssMb.at100} (${r.rssMb.max}) |`,
    );
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`);
}

await main();
