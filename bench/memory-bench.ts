// Memory over a long replay: RSS and V8 heap of `fieldeye replay --loop` after warm-up and after N frames (default 10,000), and the growth between them.
//
// Usage: npm run build && node dist/bench/memory-bench.js [--frames 10000] [--model FILE.onnx] [--flight DIR] [--json FILE]
//
// The replay runs in its own process with bench/soak-probe loaded (--import), which reports RSS and heap every
// second over IPC; frames done are counted from the results file the replay appends to. "Warm" is the first
// sample after 5 % of the frames (model loaded, arenas and caches grown); growth is measured from there.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/platform/package-root.js';
import { benchFlight } from './bench-flight.js';

interface Point {
  frames: number;
  rssMb: number;
  heapUsedMb: number;
}

const root = packageRoot();
const cli = join(root, 'dist', 'src', 'cli.js');
const MB = 1024 * 1024;

/** Counts the lines appended to a file since the last call. */
function lineCounter(path: string): () => number {
  let offset = 0;
  let lines = 0;
  const buf = Buffer.alloc(1 << 20);
  return () => {
    if (!existsSync(path)) return lines;
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    try {
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
        offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const target = Number(opt('--frames') ?? 10_000);
  if (!Number.isInteger(target) || target < 100) throw new RangeError(`--frames: expected an integer of at least 100, received ${opt('--frames')}`);
  const work = mkdtempSync(join(tmpdir(), 'fieldeye-memory-bench-'));
  try {
    const given = opt('--flight');
    const flight = given === undefined ? await benchFlight() : resolve(given);
    const perLoop = readdirSync(join(flight, 'frames')).length;
    const loop = Math.ceil(target / perLoop);
    const results = join(work, 'results.jsonl');
    const config = join(work, 'memory.json');
    writeFileSync(config, JSON.stringify({ sinks: { mqtt: { enabled: false } } }));
    const model = opt('--model');
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(root, 'dist', 'bench', 'soak-probe.js'),
        cli,
        'replay',
        flight,
        '--speed',
        'max',
        '--loop',
        String(loop),
        '--max-frames',
        String(target),
        '--out',
        results,
        '-c',
        config,
        ...(model ? ['-m', resolve(model)] : []),
      ],
      { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, FIELDEYE_LOG_LEVEL: 'warn', SOAK_PROBE_INTERVAL_MS: '1000' } },
    );
    const count = lineCounter(results);
    const points: Point[] = [];
    child.on('message', (m: { rss: number; heapUsed: number }) => points.push({ frames: count(), rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB }));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const done = count();
    if (code !== 0) throw new Error(`fieldeye replay exited with code ${String(code)} after ${done} frames`);
    const warm = points.find((p) => p.frames >= target * 0.05);
    const end = points[points.length - 1];
    if (!warm || !end || end === warm) throw new Error(`memory bench: too few samples (${points.length}); the replay was too short to measure`);
    const first = points[0] as Point;
    const peak = Math.max(...points.map((p) => p.rssMb));
    const pct = (a: number, b: number): string => `${(((b - a) / a) * 100).toFixed(1)} %`;
    const f = (x: number): string => x.toFixed(1);
    console.log(`replay --loop of ${perLoop}-frame flight, ${done} frames, model ${model ?? '(generated FP32)'}`);
    console.log('');
    console.log('| point | frames | RSS MB | heap MB |');
    console.log('|---|---|---|---|');
    console.log(`| first sample | ${first.frames} | ${f(first.rssMb)} | ${f(first.heapUsedMb)} |`);
    console.log(`| warm (5 %) | ${warm.frames} | ${f(warm.rssMb)} | ${f(warm.heapUsedMb)} |`);
    console.log(`| end | ${end.frames} | ${f(end.rssMb)} | ${f(end.heapUsedMb)} |`);
    console.log('');
    console.log(
      `RSS growth warm -> end: ${pct(warm.rssMb, end.rssMb)} (target under 5 %); heap growth: ${pct(warm.heapUsedMb, end.heapUsedMb)}; peak RSS ${f(peak)} MB (target at most 300 MB)`,
    );
    const json = opt('--json');
    if (json) writeFileSync(json, `${JSON.stringify({ frames: done, perLoop, model: model ?? null, first, warm, end, peakRssMb: peak, points }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
