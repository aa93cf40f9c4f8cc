// Batch-1 inference latency of ONNX models per thread count (p50/p90/p99, frames/s, GMAC/s) after warm-up, with the same session options as the pipeline's worker.
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { loadModel } from './model-loader.js';
import { pipelineSessionOptions } from './session-options.js';
import { preprocessImage } from './preprocess.js';

/** Multiply-accumulates of one ResNet-18 forward pass at 224x224 (torchvision's published figure). */
export const RESNET18_GMAC = 1.814;

export interface InferenceBenchOptions {
  models: string[];
  threads: number[];
  /** Runs discarded before measuring (allocations, kernel selection, caches). */
  warmupRuns: number;
  /** Measure at least this many runs... */
  minRuns: number;
  /** ...and keep going until this much time has passed (or maxRuns). */
  minSeconds: number;
  maxRuns: number;
  /** Optional real frame to feed (default: a fixed pseudo-random tensor; the content does not change the work). */
  frame?: string;
}

export interface InferenceBenchRow {
  model: string;
  precision: string;
  /** Activation type of a quantized model (from its card), else null. */
  activations: string | null;
  threads: number;
  runs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  fps: number;
  /** Against ResNet-18's 1.814 GMAC per frame; meaningful only for ResNet-18. */
  gmacPerS: number;
}

export const DEFAULT_INFERENCE_BENCH: Omit<InferenceBenchOptions, 'models'> = { threads: [1, 2], warmupRuns: 15, minRuns: 50, minSeconds: 3, maxRuns: 2000 };

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

/** One model at one thread count; sessions are created and released one at a time (two pools on 2 cores slow each other). */
async function benchOne(path: string, threads: number, input: Float32Array, o: InferenceBenchOptions): Promise<InferenceBenchRow> {
  const model = await loadModel(path);
  // As in classify-worker: no spinning, so the figure is what the pipeline gets next to sharp.
  const session = await ort.InferenceSession.create(model.bytes, pipelineSessionOptions(threads));
  try {
    // A fused-input model (`fieldeye model fuse-input`) takes RGB bytes; any bytes time the same, so map the float input onto them.
    const tensor =
      model.card.input.dtype === 'uint8'
        ? new ort.Tensor(
            'uint8',
            Uint8Array.from(input, (v) => Math.min(255, Math.max(0, Math.round((v + 2) * 64)))),
            [1, 224, 224, 3],
          )
        : new ort.Tensor('float32', input, [1, 3, 224, 224]);
    const feeds = { [model.card.input.name]: tensor };
    for (let i = 0; i < o.warmupRuns; i++) await session.run(feeds);
    const times: number[] = [];
    const started = performance.now();
    while (times.length < o.maxRuns && (times.length < o.minRuns || performance.now() - started < o.minSeconds * 1000)) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const p50 = quantile(sorted, 0.5);
    return {
      model: path,
      precision: model.card.precision,
      activations: model.card.quantization?.activations ?? null,
      threads,
      runs: times.length,
      p50Ms: p50,
      p90Ms: quantile(sorted, 0.9),
      p99Ms: quantile(sorted, 0.99),
      meanMs: mean,
      fps: 1000 / mean,
      gmacPerS: RESNET18_GMAC / (p50 / 1000),
    };
  } finally {
    await session.release();
  }
}

export async function benchInference(options: InferenceBenchOptions): Promise<InferenceBenchRow[]> {
  let input: Float32Array;
  if (options.frame) {
    const pre = await preprocessImage(await readFile(options.frame), {
      mode: 'fast',
      resizeShorterPx: 256,
      cropPx: 224,
      norm: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    });
    input = pre.input;
  } else {
    input = new Float32Array(3 * 224 * 224);
    let s = 12345;
    for (let i = 0; i < input.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      input[i] = (s / 2 ** 32) * 4 - 2;
    }
  }
  const rows: InferenceBenchRow[] = [];
  for (const m of options.models) for (const t of options.threads) rows.push(await benchOne(m, t, input, options));
  return rows;
}

/** Markdown table; the speed-up column is against the first fp32 model at the same thread count. */
export function formatInferenceTable(rows: readonly InferenceBenchRow[], label: (path: string) => string = (p) => p): string {
  const f = (x: number, d = 2): string => x.toFixed(d);
  const lines = ['| model | precision | threads | p50 ms | p90 ms | p99 ms | frames/s | GMAC/s | vs fp32 |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const base = rows.find((b) => b.precision === 'fp32' && b.threads === r.threads);
    const speedup = base ? `${f(base.p50Ms / r.p50Ms)}x` : '-';
    const precision = r.activations ? `${r.precision} (${r.activations === 'int8' ? 'S8S8' : 'U8S8'})` : r.precision;
    lines.push(
      `| ${label(r.model)} | ${precision} | ${r.threads} | ${f(r.p50Ms)} | ${f(r.p90Ms)} | ${f(r.p99Ms)} | ${f(r.fps, 1)} | ${f(r.gmacPerS, 0)} | ${speedup} |`,
    );
  }
  return lines.join('\n');
}

/**
 * What `model.precision: auto` would pick from these rows, per thread count where an FP32 and an int8 model were
 * both measured: one markdown line each (the faster int8 variant when there are several).
 */
export function formatPrecisionVerdicts(rows: readonly InferenceBenchRow[]): string {
  const lines: string[] = [];
  for (const threads of [...new Set(rows.map((r) => r.threads))]) {
    const fp32 = rows.find((r) => r.precision === 'fp32' && r.threads === threads);
    const int8 = rows.filter((r) => r.precision === 'int8' && r.threads === threads).sort((a, b) => a.p50Ms - b.p50Ms)[0];
    if (!fp32 || !int8) continue;
    const pick = int8.p50Ms < fp32.p50Ms ? 'int8' : 'fp32';
    lines.push(
      `- precision auto, ${threads} thread${threads > 1 ? 's' : ''}: **${pick}** (FP32 p50 ${fp32.p50Ms.toFixed(2)} ms, int8 p50 ${int8.p50Ms.toFixed(2)} ms: int8 is ${(fp32.p50Ms / int8.p50Ms).toFixed(2)}x FP32's speed)`,
    );
  }
  return lines.join('\n');
}
