// `npm run soak -- --minutes N`: long-run stability of the whole live pipeline (stand-in camera at 10 fps, classifier, outbox, Mosquitto), sampled every interval, with drift flagged.
//
// Usage: npm run soak -- [--minutes 60] [--interval-min 10] [--fps 10] [--model FILE.onnx] [--json FILE]
//
// What runs is the real `fieldeye run` (compiled CLI, its own process) with a live rpicam source. The camera is
// the STAND-IN `rpicam-vid` from test/support/rpicam-standin (the same byte stream as the real one: I420 at
// model scale, paced at --fps), because there is no camera here; everything after the camera's stdout is the
// product: splitter, preprocessing, worker-thread inference, geotag, the SQLite outbox and QoS 1 publishing to a
// real Mosquitto. Every sample reads the run's RSS and open file descriptors from /proc, its V8 heap through a
// probe loaded with --import (bench/soak-probe.ts; the product is not changed for the soak), and latency and
// drops from the `health` payloads it publishes, through the broker.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { HealthSchema, type Health } from '../src/publish/health-schema.js';
import { packageRoot } from '../src/platform/package-root.js';
import { startMosquitto } from '../test/support/mosquitto.js';

interface Sample {
  minute: number;
  rssMb: number;
  heapUsedMb: number;
  openFds: number;
  fps: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  drops: number;
  results: number;
  outboxDepth: number;
}

interface ProbeMessage {
  heapUsed: number;
  rss: number;
}

const root = packageRoot();
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const minutes = Number(arg('--minutes', '60'));
const intervalMin = Number(arg('--interval-min', '10'));
const fps = Number(arg('--fps', '10'));
// The config file lives in a temp folder, where a relative path would resolve: make it absolute here.
const modelPath = arg('--model', '') === '' ? '' : resolve(arg('--model', ''));
const jsonOut = arg('--json', '');
for (const [name, v] of [
  ['--minutes', minutes],
  ['--interval-min', intervalMin],
  ['--fps', fps],
] as const) {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name}: expected a positive number, received ${String(v)}`);
}

const MB = 1024 * 1024;
const WIDTH = 448;
const HEIGHT = 256;

/** Real I420 frames at model scale (what the Pi's ISP delivers with --codec yuv420), from ffmpeg's moving test pattern. */
function makeFrames(dir: string, count: number): void {
  const raw = join(dir, 'all.yuv');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${WIDTH}x${HEIGHT}:rate=10`,
    '-frames:v',
    String(count),
    '-pix_fmt',
    'yuv420p',
    '-f',
    'rawvideo',
    raw,
  ]);
  const all = readFileSync(raw);
  const size = (WIDTH * HEIGHT * 3) / 2;
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}.yuv`), all.subarray(i * size, (i + 1) * size));
  rmSync(raw);
}

function procStatusKb(pid: number, key: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return line ? Number(line.split(/\s+/)[1]) : NaN;
}

function f(x: number | null, d = 1): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(d);
}

/** Drift: the last sample against the first one taken after warm-up (the first interval includes model load and allocator growth). */
function driftReport(samples: Sample[]): string[] {
  const flags: string[] = [];
  if (samples.length < 3) return ['too few samples to judge drift (need at least 3)'];
  const base = samples[1] as Sample;
  const last = samples[samples.length - 1] as Sample;
  const pct = (a: number, b: number): number => ((b - a) / a) * 100;
  const rss = pct(base.rssMb, last.rssMb);
  const heap = pct(base.heapUsedMb, last.heapUsedMb);
  flags.push(`RSS ${f(base.rssMb)} -> ${f(last.rssMb)} MB (${rss >= 0 ? '+' : ''}${f(rss)} %)${rss > 5 ? '  DRIFT: over 5 %' : ''}`);
  flags.push(`heap ${f(base.heapUsedMb)} -> ${f(last.heapUsedMb)} MB (${heap >= 0 ? '+' : ''}${f(heap)} %)${heap > 10 ? '  DRIFT: over 10 %' : ''}`);
  // A leak keeps growing; an allocator settling after a busy start does not: the second half tells them apart.
  const mid = samples[Math.floor((samples.length - 1) / 2)] as Sample;
  const late = pct(mid.rssMb, last.rssMb);
  flags.push(
    `RSS over the second half (minute ${mid.minute} -> ${last.minute}): ${late >= 0 ? '+' : ''}${f(late)} %${late > 2 ? '  DRIFT: still growing' : ''}`,
  );
  flags.push(`open fds ${base.openFds} -> ${last.openFds}${last.openFds > base.openFds + 2 ? '  DRIFT: descriptors leak' : ''}`);
  if (base.latencyP99Ms !== null && last.latencyP99Ms !== null) {
    const lat = pct(base.latencyP99Ms, last.latencyP99Ms);
    flags.push(
      `latency p99 ${f(base.latencyP99Ms)} -> ${f(last.latencyP99Ms)} ms (${lat >= 0 ? '+' : ''}${f(lat)} %)${lat > 25 ? '  DRIFT: over 25 % (check machine load first)' : ''}`,
    );
  }
  const outboxGrows = samples.slice(1).every((s, i) => i === 0 || s.outboxDepth > (samples[i] as Sample).outboxDepth);
  flags.push(`outbox depth ${base.outboxDepth} -> ${last.outboxDepth}${outboxGrows && last.outboxDepth > 100 ? '  DRIFT: the outbox only grows' : ''}`);
  return flags;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'fieldeye-soak-'));
  const framesDir = join(work, 'frames');
  mkdirSync(framesDir);
  makeFrames(framesDir, 50);
  const broker = await startMosquitto();
  const config = {
    droneId: 'soak-1',
    source: { type: 'rpicam', codec: 'yuv420', widthPx: WIDTH, heightPx: HEIGHT, framerateFps: fps },
    model: { path: modelPath },
    position: { type: 'fixed', fixed: { latDeg: 42.88, lonDeg: -76.95, altMslM: 200 } },
    sinks: { jsonl: { enabled: false }, mqtt: { url: broker.url, healthIntervalS: 10, outbox: { path: join(work, 'outbox.sqlite') } } },
  };
  const configPath = join(work, 'soak.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const env = {
    ...process.env,
    PATH: `${join(root, 'test', 'support', 'rpicam-standin')}${delimiter}${process.env['PATH'] ?? ''}`,
    STANDIN_FRAMES: framesDir,
    FIELDEYE_LOG_LEVEL: 'warn',
  };
  const child = spawn(
    process.execPath,
    ['--import', join(root, 'dist', 'bench', 'soak-probe.js'), join(root, 'dist', 'src', 'cli.js'), 'run', '--config', configPath],
    {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('soak: could not start fieldeye run');
  let exited: string | null = null;
  const onEarlyExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exited = `fieldeye run exited early (code ${String(code)}, signal ${String(signal)})`;
  };
  child.on('exit', onEarlyExit);
  let probe: ProbeMessage | null = null;
  child.on('message', (m) => {
    probe = m as ProbeMessage;
  });
  let health: Health | null = null;
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'soak-observer' });
  await sub.subscribeAsync('fieldeye/v1/soak-1/health', { qos: 0 });
  sub.on('message', (_t, payload) => {
    const parsed = HealthSchema.safeParse(JSON.parse(payload.toString()));
    if (parsed.success) health = parsed.data;
  });

  const samples: Sample[] = [];
  const take = (minute: number): void => {
    const h = health as Health | null;
    const p = probe as ProbeMessage | null;
    samples.push({
      minute,
      rssMb: procStatusKb(pid, 'VmRSS') / 1024,
      heapUsedMb: p ? p.heapUsed / MB : NaN,
      openFds: readdirSync(`/proc/${pid}/fd`).length,
      fps: h?.fps ?? 0,
      latencyP50Ms: h?.latencyMs?.p50 ?? null,
      latencyP99Ms: h?.latencyMs?.p99 ?? null,
      drops: h?.drops ?? 0,
      results: h?.results ?? 0,
      outboxDepth: h?.outbox.depth ?? 0,
    });
    const s = samples[samples.length - 1] as Sample;
    console.error(
      `soak: minute ${minute}: RSS ${f(s.rssMb)} MB, heap ${f(s.heapUsedMb)} MB, fds ${s.openFds}, ${f(s.fps)} fps, p99 ${f(s.latencyP99Ms)} ms, drops ${s.drops}, results ${s.results}`,
    );
  };
  const startedAt = Date.now();
  // The first sample once the pipeline delivers (a health report with results, and the heap probe), then one per interval.
  const running = (): boolean => (health as Health | null)?.results !== undefined && ((health as Health | null)?.results ?? 0) > 0 && probe !== null;
  while (!running() && exited === null && Date.now() - startedAt < 180_000) await new Promise((r) => setTimeout(r, 500));
  if (exited !== null || !running()) throw new Error(exited ?? 'soak: no health report with results within 180 s; is the pipeline running?');
  take(0);
  for (let m = intervalMin; m <= minutes + 1e-9; m += intervalMin) {
    const due = startedAt + m * 60_000;
    while (Date.now() < due && exited === null) await new Promise((r) => setTimeout(r, Math.min(1_000, due - Date.now())));
    if (exited !== null) break;
    take(Math.round(m * 10) / 10);
  }
  child.off('exit', onEarlyExit);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await sub.endAsync();
  await broker.stop();
  rmSync(work, { recursive: true, force: true });

  const lines = [
    `### Soak: ${minutes} min, stand-in camera (yuv420 ${WIDTH}x${HEIGHT}) at ${fps} fps, outbox + Mosquitto`,
    '',
    '| minute | RSS MB | heap MB | open fds | fps | latency p50 ms | p99 ms | drops | results | outbox depth |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...samples.map(
      (s) =>
        `| ${s.minute} | ${f(s.rssMb)} | ${f(s.heapUsedMb)} | ${s.openFds} | ${f(s.fps)} | ${f(s.latencyP50Ms)} | ${f(s.latencyP99Ms)} | ${s.drops} | ${s.results} | ${s.outboxDepth} |`,
    ),
    '',
    ...(exited !== null ? [`FAILED: ${exited as string}`] : []),
    ...driftReport(samples).map((l) => `- ${l}`),
  ];
  console.log(lines.join('\n'));
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ minutes, intervalMin, fps, samples, exited }, null, 2)}\n`);
  if (exited !== null) process.exitCode = 1;
}

await main();
