// `npm run bench`: runs the benchmark sections (inference FP32 vs fieldeye int8 vs the PyTorch int8 peer, worker
// event-loop lag, preprocessing, capture-to-tensor, outbox + Mosquitto, the ground store; opt-in: the Pi 4 projection), prints markdown and writes bench/results/<date>-<host>.json.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { generatedModelsDir } from '../src/app/resolve-model.js';
import { describeMachine } from '../src/commands/bench-command.js';
import { ModelCardSchema } from '../src/vision/model-card.js';
import { ensureSynthModel } from '../src/model/synth-model.js';
import { cardPathFor, sha256Hex } from '../src/vision/model-card.js';
import { DEFAULT_PERCENTILE, quantizeModelFile } from '../src/model/quantize-model.js';
import { winogradFile } from '../src/model/winograd-file.js';
import { DEFAULT_ACTIVATIONS, type ActivationType } from '../src/model/quant-params.js';
import type { AccuracyReport } from '../src/vision/accuracy-report.js';
import { machineInfo } from '../src/platform/machine-info.js';
import { checkTargets, formatTargets, isPi4, type BenchSections } from './targets.js';
import { packageRoot } from '../src/platform/package-root.js';
import {
  DEFAULT_INFERENCE_BENCH,
  benchInference,
  formatInferenceTable,
  formatPrecisionVerdicts,
  type InferenceBenchRow,
} from '../src/vision/inference-bench.js';

// Usage: npm run bench -- [--threads 1,2] [--seconds 3] [--only inference,peer,worker-lag,preprocess,capture,end-to-end,memory,outbox,ground,pi4]
// (pi4 only when named: it runs the pi4-model instrument, ../shared/tools/pi4-model, for about 5 minutes)
// A section is a function returning markdown plus JSON-able data; add new benches (preprocessing, end to end,
// memory) as more entries in SECTIONS. Sections run one after another: on a small machine two at once would
// measure each other.

interface SectionResult {
  markdown: string;
  data: unknown;
}

interface Context {
  threads: number[];
  seconds: number;
  fp32: string;
  int8: { activations: ActivationType; path: string; accuracy: AccuracyReport }[];
  /** The seed-1 model through `fieldeye model winograd` with its defaults (built for the inference and pi4 sections). */
  winograd?: string;
}

const root = packageRoot();
const tiles = join(root, 'test', 'fixtures', 'field-tiles');
const run = promisify(execFile);
// The int8 flavour onnxruntime fuses fully on this CPU: U8S8 on x86-64, S8S8 on ARM (see issue 3's notes in README).
const nativeActivations: ActivationType = process.arch === 'x64' ? 'uint8' : 'int8';

/** The seed-1 model quantized both ways with all calibration tiles (exact preprocessing, as the PyTorch peer sees them); cached next to the FP32 model. */
async function quantizedModels(fp32: string): Promise<Context['int8']> {
  const fp32Sha = sha256Hex(await readFile(fp32));
  const out: Context['int8'] = [];
  for (const activations of ['uint8', 'int8'] as const) {
    const path = join(generatedModelsDir(), `bench-resnet18-seed1-${activations === 'int8' ? 's8s8' : 'u8s8'}.onnx`);
    if (existsSync(path) && existsSync(cardPathFor(path))) {
      const card = ModelCardSchema.safeParse(JSON.parse(await readFile(cardPathFor(path), 'utf8')));
      if (
        card.success &&
        card.data.quantization?.sourceModelSha256 === fp32Sha &&
        card.data.quantization.percentile === DEFAULT_PERCENTILE &&
        card.data.sha256 === sha256Hex(await readFile(path))
      ) {
        out.push({ activations, path, accuracy: card.data.quantization.accuracy });
        continue;
      }
    }
    const r = await quantizeModelFile({
      modelPath: fp32,
      calibrationDir: join(tiles, 'calibration'),
      evalDir: join(tiles, 'held-out'),
      method: 'percentile',
      percentile: DEFAULT_PERCENTILE,
      outPath: path,
      firstConv: 'int8',
      lastFc: 'int8',
      activations,
      preprocess: 'exact',
    });
    out.push({ activations, path, accuracy: r.accuracy });
  }
  return out;
}

async function inferenceSection(ctx: Context): Promise<SectionResult> {
  const rows = await benchInference({
    ...DEFAULT_INFERENCE_BENCH,
    threads: ctx.threads,
    minSeconds: ctx.seconds,
    // The Winograd FP32 last: the FP32 verdicts and the 2x target read the first FP32 row, the direct model.
    models: [ctx.fp32, ...ctx.int8.map((m) => m.path), ...(ctx.winograd ? [ctx.winograd] : [])],
  });
  return {
    markdown: `### Inference (onnxruntime, batch 1, spinning off)\n\n${formatInferenceTable(rows, (p) => basename(p))}\n\n${formatPrecisionVerdicts(rows)}`,
    data: rows,
  };
}

interface PeerOutput {
  torch: string;
  engine: string;
  method: string;
  calibrationFrames: number;
  accuracy: { frames: number; sqnrDb: number; cosine: number; top1Agreement: number; top5Overlap: number };
  latency: { fp32: { threads: number; p50Ms: number; p99Ms: number; fps: number }[]; int8: { threads: number; p50Ms: number; p99Ms: number; fps: number }[] };
}

async function peerSection(ctx: Context, inference: InferenceBenchRow[] | null): Promise<SectionResult> {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { markdown: '### PyTorch peer\n\nskipped: /usr/bin/python3 (Debian python3-torch) not found', data: null };
  const { stdout } = await run(
    python,
    [
      join(root, 'bench', 'torch-peer.py'),
      ctx.fp32,
      join(tiles, 'calibration'),
      join(tiles, 'held-out'),
      '--threads',
      ctx.threads.join(','),
      '--seconds',
      String(ctx.seconds),
    ],
    { maxBuffer: 1 << 24 },
  );
  const peer = JSON.parse(stdout) as PeerOutput;
  const f = (x: number | undefined, d = 2): string => (x === undefined ? '-' : x.toFixed(d));
  const lines = [
    `### int8 side by side: fieldeye vs PyTorch ${peer.torch} (${peer.engine}), same weights, same ${peer.calibrationFrames} calibration frames, ${peer.accuracy.frames} held-out frames`,
    '',
    `| int8 model | SQNR dB | cosine | top-1 agree | top-5 overlap | ${ctx.threads.map((t) => `p50 ms ${t}T`).join(' | ')} |`,
    `|---|---|---|---|---|${ctx.threads.map(() => '---').join('|')}|`,
  ];
  for (const m of ctx.int8) {
    const lat = ctx.threads.map((t) => f(inference?.find((r) => r.model === m.path && r.threads === t)?.p50Ms));
    lines.push(
      `| fieldeye ${m.activations === 'int8' ? 'S8S8' : 'U8S8'} (percentile ${DEFAULT_PERCENTILE}${m.activations === DEFAULT_ACTIVATIONS ? ', the default' : ''}, onnxruntime) | ${f(m.accuracy.sqnrDb)} | ${f(m.accuracy.cosine, 5)} | ${f(m.accuracy.top1Agreement * 100, 1)} % | ${f(m.accuracy.top5Overlap * 100, 1)} % | ${lat.join(' | ')} |`,
    );
  }
  const a = peer.accuracy;
  lines.push(
    `| PyTorch FX onednn (HistogramObserver) | ${f(a.sqnrDb)} | ${f(a.cosine, 5)} | ${f(a.top1Agreement * 100, 1)} % | ${f(a.top5Overlap * 100, 1)} % | ${ctx.threads.map((t) => f(peer.latency.int8.find((l) => l.threads === t)?.p50Ms)).join(' | ')} |`,
  );
  lines.push(
    `| (PyTorch FP32 eager, for scale) | - | - | - | - | ${ctx.threads.map((t) => f(peer.latency.fp32.find((l) => l.threads === t)?.p50Ms)).join(' | ')} |`,
  );
  return { markdown: lines.join('\n'), data: peer };
}

/** The inference section's p50 for one model at each thread count ("1T 21.3 / 2T 12.0"), '-' when it did not run. */
function x86P50(inference: InferenceBenchRow[] | null, model: string, threads: number[]): string {
  const cells = threads.flatMap((t) => {
    const row = inference?.find((r) => r.model === model && r.threads === t);
    return row ? [`${t}T ${row.p50Ms.toFixed(1)}`] : [];
  });
  return cells.length ? cells.join(' / ') : '-';
}

/**
 * A bench that is its own script (it also runs alone): run it as a child process, one at a time, and keep
 * its markdown and its JSON.
 */
async function scriptSection(title: string, script: string, args: string[]): Promise<SectionResult> {
  const json = join(root, 'bench', 'results', `.${script}.json.tmp`);
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  const { stdout } = await run(process.execPath, [join(root, 'dist', 'bench', `${script}.js`), ...args, '--json', json], { maxBuffer: 1 << 24 });
  const data: unknown = existsSync(json) ? JSON.parse(await readFile(json, 'utf8')) : null;
  await rm(json, { force: true });
  return { markdown: `### ${title}\n\n${stdout.trim()}`, data };
}

/**
 * Results are shared between machines (and committed): paths inside the package become relative to it, and
 * temporary folders become "<tmp>/...", so a report names no machine's directories.
 */
function portablePaths(_key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value === root || value.startsWith(`${root}${sep}`)) return relative(root, value) || '.';
  const tmp = tmpdir();
  if (value.startsWith(`${tmp}${sep}`)) return `<tmp>/${relative(tmp, value)}`;
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  // 1 thread up to all cores.
  const threads = (arg('--threads') ?? Array.from({ length: availableParallelism() }, (_, i) => i + 1).join(',')).split(',').map(Number);
  if (threads.some((t) => !Number.isInteger(t) || t < 1))
    throw new RangeError(`--threads: expected a comma-separated list of positive integers, received ${arg('--threads')}`);
  const seconds = Number(arg('--seconds') ?? 3);
  const only = new Set((arg('--only') ?? 'inference,peer,worker-lag,preprocess,capture,end-to-end,memory,outbox,ground').split(','));
  const fp32 = await ensureSynthModel(1, generatedModelsDir());
  const ctx: Context = { threads, seconds, fp32, int8: await quantizedModels(fp32) };
  // Rebuilt every time (about 10 s): the plan is the command's current default, whatever was cached.
  if (only.has('pi4') || only.has('inference'))
    ctx.winograd = (await winogradFile({ modelPath: fp32, outPath: join(generatedModelsDir(), 'bench-resnet18-seed1-winograd.onnx') })).outPath;
  const machine = machineInfo();
  const startedAt = new Date();
  const sections: Record<string, unknown> = {};
  const out: string[] = [`## fieldeye bench, ${startedAt.toISOString()}`, '', describeMachine(machine), ''];
  let inference: InferenceBenchRow[] | null = null;
  if (only.has('inference')) {
    const r = await inferenceSection(ctx);
    inference = r.data as InferenceBenchRow[];
    sections['inference'] = r.data;
    out.push(r.markdown, '');
  }
  if (only.has('peer')) {
    const r = await peerSection(ctx, inference);
    sections['peer'] = r.data;
    out.push(r.markdown, '');
  }
  const scripts: Array<[string, string, string, string[]]> = [
    [
      'worker-lag',
      'FP32 batch-1 latency in the worker thread vs on the main thread, and the event-loop lag each leaves',
      'worker-lag-bench',
      ['--runs', '50', '--threads', String(Math.max(...threads))],
    ],
    ['preprocess', 'Preprocessing per frame: exact vs fast (sharp)', 'preprocess-bench', []],
    ['capture', 'Capture-to-tensor per frame: raw yuv420 at model scale vs MJPEG (recorded streams)', 'capture-bench', []],
    [
      'end-to-end',
      'End to end: a simulated flight replayed at --speed max vs the naive sequential loop, pure inference and the PyTorch + PIL seed stack',
      'end-to-end-bench',
      [
        '--threads',
        String(Math.max(...threads)),
        '--loop',
        '10',
        ...ctx.int8.flatMap((m) => (m.activations === nativeActivations ? ['--model', m.path] : [])),
        '--model',
        ctx.fp32,
      ],
    ],
    [
      'memory',
      'Memory: RSS and heap over 10,000 replayed frames (the int8 model the drone runs)',
      'memory-bench',
      ['--frames', '10000', ...ctx.int8.flatMap((m) => (m.activations === nativeActivations ? ['--model', m.path] : []))],
    ],
    ['outbox', 'Results through the durable outbox and Mosquitto on loopback', 'outbox-bench', []],
    // Opt-in (--only pi4, about 5 min): the pi4-model instrument on the models a user deploys, and the rest of a frame.
    [
      'pi4',
      'Raspberry Pi 4 @1.8 GHz, projected by the pi4-model instrument (no Pi): the deployed models, and the rest of a frame',
      'pi4-bench',
      [ctx.fp32, ...ctx.int8.filter((m) => m.activations === DEFAULT_ACTIVATIONS).map((m) => m.path), ...(ctx.winograd ? [ctx.winograd] : [])].flatMap(
        (path) => ['--model', path, '--x86-p50', x86P50(inference, path, threads)],
      ),
    ],
    [
      'ground',
      'Ground store: results/s stored into GeoPackage and PostGIS (1 and 3 drones live, a backlog drained) and the ground process RSS over 100,000 results',
      'ground-bench',
      [],
    ],
  ];
  for (const [name, title, script, scriptArgs] of scripts) {
    if (!only.has(name)) continue;
    const r = await scriptSection(title, script, scriptArgs);
    sections[name] = r.data;
    out.push(r.markdown, '');
  }
  const deviceModel = existsSync('/proc/device-tree/model') ? (await readFile('/proc/device-tree/model', 'utf8')).replace(/\0/g, '') : null;
  const pi4 = isPi4(machine, deviceModel);
  out.push(`### Targets${pi4 ? ' (Raspberry Pi 4)' : ''}`, '', formatTargets(checkTargets(sections as BenchSections, pi4), pi4), '');
  console.log(out.join('\n'));
  const dir = join(root, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().slice(0, 10)}-${machine.host}.json`);
  await writeFile(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), machine, threads, seconds, sections }, portablePaths, 2)}\n`);
  console.log(`written ${file}`);
}

await main();
