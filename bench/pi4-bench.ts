// The `pi4` bench section: every Raspberry Pi 4 figure from the pi4-model instrument (../shared/tools/pi4-model):
// the deployed models' projected inference times, and the rest of a frame (raw I420 to tensor, the worker hand-off,
// result encoding, the outbox commit) counted under the same emulation (bench/pi4-frame-stages.ts).
// Usage: npm run build && node dist/bench/pi4-bench.js [--model M.onnx [--x86-p50 TEXT]]... [--frames N] [--warmup W]
//        [--instrument DIR] [--json FILE]
// Without --model: the seed-1 FP32 ResNet-18 and the bench's int8 with `fieldeye quantize`'s default activations
// (`npm run bench -- --only pi4` passes both, quantized if needed). Nothing here ran on a Pi: see the instrument's README.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { generatedModelsDir } from '../src/app/resolve-model.js';
import { ensureSynthModel } from '../src/model/synth-model.js';
import { DEFAULT_ACTIVATIONS } from '../src/model/quant-params.js';
import { cardPathFor } from '../src/vision/model-card.js';
import { packageRoot } from '../src/platform/package-root.js';
import { FRAME_STAGES, type FrameStage } from './pi4-frame-stages.js';
import { pi4Markdown, type ModelRow, type Pi4Report, type Projection, type StageRow } from './pi4-table.js';

const run = promisify(execFile);
const root = packageRoot();
const DEFAULT_INSTRUMENT = resolve(root, '..', 'shared', 'tools', 'pi4-model');
// Named relative to the checkout: reports are shared between machines.
const SQLITE_ARM64_SCRIPT = 'bench/pi4-arm64-sqlite.sh';

const STAGE_WHAT: Record<FrameStage, string> = {
  i420: 'raw yuv420 448x256 frame (64 KiB pipe chunks) to the 224x224 NCHW tensor (I420Splitter + preprocessI420)',
  handoff: 'tensor to the worker thread and 1000 logits back (echo worker: the transfer, not inference)',
  encode: 'top-5, the Result, encodeResult (schema check + JSON)',
  outbox: 'SqliteOutbox.append until committed (WAL, synchronous=FULL; the fsync itself is kernel time, not counted)',
};

/** The bench's default int8: quantized by bench/run.ts into models/generated with the default activations. */
function defaultInt8(): string {
  return join(generatedModelsDir(), `bench-resnet18-seed1-${DEFAULT_ACTIVATIONS === 'int8' ? 's8s8' : 'u8s8'}.onnx`);
}

function labelFor(path: string): { label: string; reference: boolean } {
  const card = existsSync(cardPathFor(path))
    ? (JSON.parse(readFileSync(cardPathFor(path), 'utf8')) as { name?: string; precision?: string; quantization?: { activations?: string } })
    : {};
  const acts = card.quantization?.activations;
  if (card.name?.endsWith('-winograd')) return { label: 'FP32, `fieldeye model winograd` defaults', reference: false };
  if (card.precision !== 'int8' || !acts) return { label: `FP32 ${basename(path, '.onnx')}`, reference: false };
  const isDefault = acts === DEFAULT_ACTIVATIONS;
  const flavour = acts === 'int8' ? 'S8S8' : 'U8S8';
  return { label: isDefault ? `int8 ${flavour}, quantize defaults` : `int8 ${flavour} ${basename(path, '.onnx')}`, reference: isDefault };
}

/**
 * The instrument counts on 1 to 2 cores for minutes; another engineer's run at the same time would halve both, so
 * wait (up to 30 min) while any other counting qemu (one loaded with the insnmix plugin) is running.
 */
async function waitForOtherCounts(log: (s: string) => void): Promise<void> {
  for (let waited = 0; waited < 1800; waited += 10) {
    const busy = await run('pgrep', ['-f', 'libinsnmix']).then(
      (r) => r.stdout.trim() !== '',
      () => false,
    );
    if (!busy) return;
    if (waited === 0) log('another pi4-model count is running; waiting for it to finish');
    await new Promise((r) => setTimeout(r, 10_000));
  }
}

/** predict.sh counts once (1 intra-op thread); its JSON holds both the 1-thread and the derived 4-thread figures. */
async function projectModel(instrument: string, model: string, work: string, log: (s: string) => void): Promise<Projection> {
  const json = join(work, `${basename(model)}.json`);
  await waitForOtherCounts(log);
  log(`counting ${basename(model)} under qemu (1-2 min)`);
  await run('bash', [join(instrument, 'predict.sh'), model, '--json', json], { cwd: root, maxBuffer: 1 << 24, timeout: 30 * 60_000 });
  return JSON.parse(readFileSync(json, 'utf8')) as Projection;
}

/** The arm64 better-sqlite3 that bench/pi4-arm64-sqlite.sh cross-built, or why there is none. */
function arm64Sqlite(): { dir: string } | { reason: string } {
  const version = (JSON.parse(readFileSync(join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(root, '.cache', 'arm64', `better-sqlite3-${version}-linux-arm64`, 'node_modules', 'better-sqlite3');
  if (existsSync(join(dir, 'build', 'Release', 'better_sqlite3.node'))) return { dir };
  return {
    reason: `no linux-arm64 better-sqlite3 ${version} addon (its prebuilds come from GitHub, unreachable here); build it with bash ${SQLITE_ARM64_SCRIPT}`,
  };
}

/**
 * One stage in its own emulated process (the plugin's per-block dump covers only the first bracket, markers 0-1), with
 * count.sh's invocation: the settings come from the instrument's lib.sh. No NODE_PATH: the stages load no onnxruntime.
 */
async function countStage(instrument: string, stage: FrameStage, frames: number, warmup: number, work: string, env: NodeJS.ProcessEnv): Promise<Projection> {
  const out = join(work, `${stage}.tsv`);
  const script = [
    'set -euo pipefail',
    `source "${instrument}/lib.sh"`,
    '"$QEMU" -cpu cortex-a72 -L "$SYSROOT" -plugin "$PLUGIN,out=$1,hot=-1" "$NODE_ARM64" "$2" "$3" "$4" "$5" "$1.json"',
    `python3 "${instrument}/predict.py" "$1" --calibration "${instrument}/calibration.json" --info "$1.json" --label "frame stage $3" --json "$1.pred.json"`,
  ].join('\n');
  await run('bash', ['-c', script, 'pi4-stage', out, join(root, 'dist', 'bench', 'pi4-frame-stages.js'), stage, String(frames), String(warmup)], {
    cwd: root,
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
    timeout: 10 * 60_000,
  });
  return JSON.parse(readFileSync(`${out}.pred.json`, 'utf8')) as Projection;
}

async function countFrame(instrument: string, frames: number, warmup: number, work: string, log: (s: string) => void): Promise<StageRow[]> {
  const rows: StageRow[] = [];
  for (const stage of FRAME_STAGES) {
    const row: StageRow = { stage, what: STAGE_WHAT[stage], projection: null };
    const sqlite = stage === 'outbox' ? arm64Sqlite() : null;
    if (sqlite && 'reason' in sqlite) {
      rows.push({ ...row, reason: sqlite.reason });
      continue;
    }
    await waitForOtherCounts(log);
    log(`counting frame stage ${stage} under qemu`);
    try {
      const env = sqlite ? { PI4_BETTER_SQLITE3: sqlite.dir } : {};
      rows.push({ ...row, projection: await countStage(instrument, stage, frames, warmup, work, env) });
    } catch (err) {
      // A stage that fails is reported as not counted with its error, never estimated.
      rows.push({ ...row, reason: `counting failed: ${(err as Error).message.split('\n').slice(-3).join(' ')}` });
    }
  }
  return rows;
}

export async function pi4Bench(options: {
  models: { path: string; x86P50: string | null }[];
  frames: number;
  warmup: number;
  instrument: string;
  log: (s: string) => void;
}): Promise<Pi4Report> {
  const work = mkdtempSync(join(tmpdir(), 'fieldeye-pi4-'));
  try {
    const models: ModelRow[] = [];
    for (const m of options.models) {
      models.push({ ...labelFor(m.path), path: m.path, x86P50: m.x86P50, projection: await projectModel(options.instrument, m.path, work, options.log) });
    }
    return { models, stages: await countFrame(options.instrument, options.frames, options.warmup, work, options.log) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function header(report: Pi4Report): string {
  const ort = report.models.find((m) => m.projection.run?.onnxruntime_node)?.projection.run?.onnxruntime_node ?? '?';
  const k = report.models[0]?.projection.prediction.k;
  const rel = report.models[0]?.projection.prediction.band_rel;
  return (
    `Projected by the pi4-model instrument (AArch64 instructions counted under qemu -cpu cortex-a72, Cortex-A72 pipe model, ` +
    `one factor k = ${k?.toFixed(3) ?? '?'} fitted on ncnn's published Pi 4 times; band ${rel ? `${(rel[0] * 100).toFixed(0)} %/+${(rel[1] * 100).toFixed(0)} %` : '?'}). ` +
    `onnxruntime-node ${ort} linux-arm64, 1 intra-op thread counted; 4 threads = 1 thread / ncnn's published speedup. Nothing ran on a Pi. ` +
    `Frame stages: the same counting on the arm64 Node running fieldeye's compiled code, after warm-up (V8-optimised), ` +
    `least-instruction repetition; the band is the inference calibration's, applied to JavaScript.`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true },
      'x86-p50': { type: 'string', multiple: true },
      frames: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '40' },
      instrument: { type: 'string', default: DEFAULT_INSTRUMENT },
      json: { type: 'string' },
    },
  });
  const paths = values.model ?? [await ensureSynthModel(1, generatedModelsDir()), defaultInt8()];
  for (const p of paths) if (!existsSync(p)) throw new Error(`pi4-bench: no model ${p} (npm run bench -- --only pi4 quantizes the default int8 first)`);
  if (!existsSync(join(values.instrument, 'predict.sh'))) throw new Error(`pi4-bench: no pi4-model instrument at ${values.instrument} (--instrument DIR)`);
  const x86 = values['x86-p50'] ?? [];
  const report = await pi4Bench({
    models: paths.map((path, i) => ({ path, x86P50: x86[i] && x86[i] !== '-' ? x86[i] : null })),
    frames: Number(values.frames),
    warmup: Number(values.warmup),
    instrument: values.instrument,
    log: (s) => console.error(`pi4-bench: ${s}`),
  });
  console.log(pi4Markdown(report, header(report)));
  // The instrument named relative to the checkout, as the models are: reports are compared across machines.
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ instrument: relative(root, resolve(values.instrument)), ...report }, null, 2)}\n`);
}
