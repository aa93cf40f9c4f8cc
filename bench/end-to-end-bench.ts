// End to end: a recorded flight replayed at --speed max through the real pipeline, side by side with the naive sequential loop a user would write, pure inference, and (when Debian's python3-torch is there) the PyTorch + PIL seed stack; same frames, model and threads.
//
// Usage: npm run build && node dist/bench/end-to-end-bench.js [--model FILE.onnx]... [--threads N] [--pipeline-threads N] [--loop N] [--flight DIR] [--json FILE]
//
// The pipeline row is `fieldeye replay FLIGHT --speed max --loop N` in its own process (startup excluded: its
// frames/s counts from the first frame, after the model is loaded). The naive loop runs in this process:
// for each frame, sharp decodes, resizes and crops, a JS loop normalises, and onnxruntime runs on the main
// thread, one frame after the other, with only the thread count set (what onnxruntime's examples show). Pure
// inference runs the same session on tensors prepared beforehand: the ceiling for any pipeline.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { generatedModelsDir } from '../src/app/resolve-model.js';
import { ensureSynthModel } from '../src/model/synth-model.js';
import type { PipelineSummary } from '../src/pipeline/metrics.js';
import { packageRoot } from '../src/platform/package-root.js';
import { loadModel } from '../src/vision/model-loader.js';
import { pipelineSessionOptions } from '../src/vision/session-options.js';
import { inferenceThreads } from '../src/vision/inference-threads.js';
import { ConfigSchema } from '../src/config/schema.js';
import { benchFlight } from './bench-flight.js';

const run = promisify(execFile);
const root = packageRoot();
const cli = join(root, 'dist', 'src', 'cli.js');
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;

interface Row {
  model: string;
  threads: number;
  /** Inference threads the pipeline ran with. */
  pipelineThreads: number;
  frames: number;
  pipeline: { fps: number; meanStageMs: PipelineSummary['meanStageMs']; latencyMs: PipelineSummary['latencyMs'] };
  naiveFps: number;
  pureInferenceFps: number;
  seedStackFps: number | null;
}

/** What a user writes first: sharp to 224x224 RGB, normalise into NCHW float32. */
async function naivePreprocess(bytes: Buffer): Promise<Float32Array> {
  const { data } = await sharp(bytes)
    .resize(256, 256, { fit: 'outside' })
    .resize(224, 224, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = 224 * 224;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = ((data[i * 3 + c] as number) / 255 - (MEAN[c] as number)) / (STD[c] as number);
  }
  return out;
}

async function naiveLoop(modelPath: string, frames: Buffer[], threads: number): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: threads });
  try {
    const input = session.inputNames[0] as string;
    for (const f of frames.slice(0, 3)) await session.run({ [input]: new ort.Tensor('float32', await naivePreprocess(f), [1, 3, 224, 224]) });
    const t0 = performance.now();
    for (const f of frames) {
      const out = await session.run({ [input]: new ort.Tensor('float32', await naivePreprocess(f), [1, 3, 224, 224]) });
      const logits = out[session.outputNames[0] as string]?.data as Float32Array;
      // The top-1, as the user's loop would use it (softmax does not change the order).
      let best = 0;
      for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    }
    return (frames.length * 1000) / (performance.now() - t0);
  } finally {
    await session.release();
  }
}

/** The pipeline's own session options (classify-worker): no spinning, sequential execution. */
async function pureInference(modelPath: string, frames: Buffer[], threads: number): Promise<number> {
  const session = await ort.InferenceSession.create(modelPath, pipelineSessionOptions(threads));
  try {
    const input = session.inputNames[0] as string;
    const tensors: Float32Array[] = [];
    for (const f of frames) tensors.push(await naivePreprocess(f));
    for (const t of tensors.slice(0, 3)) await session.run({ [input]: new ort.Tensor('float32', t, [1, 3, 224, 224]) });
    const t0 = performance.now();
    for (const t of tensors) await session.run({ [input]: new ort.Tensor('float32', t, [1, 3, 224, 224]) });
    return (tensors.length * 1000) / (performance.now() - t0);
  } finally {
    await session.release();
  }
}

async function pipeline(modelPath: string, flight: string, threads: number, loop: number, work: string): Promise<Row['pipeline'] & { frames: number }> {
  const config = join(work, `e2e-${threads}.json`);
  // threads 0: the pipeline's own split of cores (model.intraOpThreads automatic).
  writeFileSync(config, JSON.stringify({ model: { intraOpThreads: threads, preprocess: 'fast' }, sinks: { mqtt: { enabled: false } } }));
  const summaryPath = join(work, 'summary.json');
  rmSync(summaryPath, { force: true });
  await run(process.execPath, [cli, 'replay', flight, '--speed', 'max', '--loop', String(loop), '-m', modelPath, '-c', config, '--summary-json', summaryPath], {
    env: { ...process.env, FIELDEYE_LOG_LEVEL: 'warn' },
    maxBuffer: 1 << 24,
  });
  const s = JSON.parse(readFileSync(summaryPath, 'utf8')) as PipelineSummary;
  return { fps: s.fps, meanStageMs: s.meanStageMs, latencyMs: s.latencyMs, frames: s.results };
}

async function seedStack(modelPath: string, framesDir: string, threads: number, loop: number): Promise<number | null> {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return null;
  const { stdout } = await run(
    python,
    [join(root, 'bench', 'torch-seed-stack.py'), modelPath, framesDir, '--threads', String(threads), '--loop', String(loop)],
    { maxBuffer: 1 << 20 },
  );
  return (JSON.parse(stdout) as { fps: number }).fps;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const all = (name: string): string[] => args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1] as string] : []));
  const one = (name: string, fallback: string): string => all(name)[0] ?? fallback;
  // The naive loop, pure inference and the seed stack get every core, as a user would set; the pipeline splits them itself.
  const threads = Number(one('--threads', String(availableParallelism())));
  const pipelineThreads = Number(one('--pipeline-threads', '0'));
  const loop = Number(one('--loop', '5'));
  const jsonOut = all('--json')[0];
  const work = mkdtempSync(join(tmpdir(), 'fieldeye-e2e-bench-'));
  try {
    const given = all('--flight')[0];
    const flight = given === undefined ? await benchFlight() : resolve(given);
    const framesDir = join(flight, 'frames');
    const names = readdirSync(framesDir)
      .filter((n) => /\.jpe?g$/i.test(n))
      .sort();
    const once = names.map((n) => readFileSync(join(framesDir, n)));
    const frames = Array.from({ length: loop }, () => once).flat();
    const models = all('--model').map((m) => resolve(m));
    if (models.length === 0) models.push(await ensureSynthModel(1, generatedModelsDir()));
    const rows: Row[] = [];
    for (const model of models) {
      // The seed stack loads torchvision weights by name from the FP32 graph; for an int8 model it runs its FP32 source.
      const card = (await loadModel(model)).card;
      const fp32Source = card.precision === 'int8' ? await ensureSynthModel(1, generatedModelsDir()) : model;
      const p = await pipeline(model, flight, pipelineThreads, loop, work);
      rows.push({
        model,
        threads,
        pipelineThreads: inferenceThreads(ConfigSchema.parse({ model: { intraOpThreads: pipelineThreads } }), card.precision === 'int8' ? 'int8' : 'fp32'),
        frames: p.frames,
        pipeline: { fps: p.fps, meanStageMs: p.meanStageMs, latencyMs: p.latencyMs },
        naiveFps: await naiveLoop(model, frames, threads),
        pureInferenceFps: await pureInference(model, frames, threads),
        seedStackFps: await seedStack(fp32Source, framesDir, threads, loop),
      });
    }
    const f = (x: number | null, d = 1): string => (x === null ? '-' : x.toFixed(d));
    console.log(
      `${basename(flight)}: ${names.length} frames x ${loop} loops; naive loop, pure inference and seed stack on ${threads} threads, the pipeline on ${pipelineThreads === 0 ? 'its automatic split (model.intraOpThreads 0, column "inference threads")' : `${pipelineThreads} inference threads`}; frames/s (higher is better), ratios from this one run`,
    );
    console.log('');
    console.log(
      '| model | inference threads | pipeline fps | naive loop fps | pure inference fps | seed stack fps (PyTorch+PIL) | pipeline / naive | pipeline / pure inference | pipeline / seed stack | pipeline stages decode / pre / infer / total ms |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const s = r.pipeline.meanStageMs;
      console.log(
        `| ${basename(r.model)} | ${r.pipelineThreads} | ${f(r.pipeline.fps)} | ${f(r.naiveFps)} | ${f(r.pureInferenceFps)} | ${f(r.seedStackFps)} | ${f(r.pipeline.fps / r.naiveFps, 2)}x | ${f(r.pipeline.fps / r.pureInferenceFps, 2)}x | ${r.seedStackFps === null ? '-' : `${f(r.pipeline.fps / r.seedStackFps, 2)}x`} | ${f(s.decode)} / ${f(s.preprocess)} / ${f(s.inference)} / ${f(s.total)} |`,
      );
    }
    if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ flight, loop, threads, rows }, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
