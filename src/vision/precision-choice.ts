// `model.precision: auto`: time the FP32 and int8 variants of the model on this CPU through the real inference worker, use the faster, and cache the choice per CPU model, onnxruntime version, thread count and model pair.
//
// Why: int8 is not always faster. Without dot-product instructions (the Pi 4's Cortex-A72 has none) several
// runtimes' int8 kernels lose to FP32, and onnxruntime's own guide warns about older CPUs. The answer depends on
// the CPU and the runtime build, so it is measured once per pair of them and remembered.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { machineInfo, type MachineInfo } from '../platform/machine-info.js';
import { Classifier } from './classifier.js';
import type { LoadedModel } from './model-loader.js';

export type Precision = 'fp32' | 'int8';

export interface PrecisionTiming {
  fp32P50Ms: number;
  int8P50Ms: number;
}

export interface PrecisionChoice {
  precision: Precision;
  /** configured: precision was set; only-variant: one model given; measured: timed now; cached: timed on an earlier start. */
  reason: 'configured' | 'only-variant' | 'measured' | 'cached';
  timing: PrecisionTiming | null;
  /** The cache key (CPU, runtime, threads, models) when timing was involved. */
  key: string | null;
}

export interface ChoosePrecisionOptions {
  fp32: LoadedModel;
  int8: LoadedModel;
  threads: number;
  /** Timed runs per variant last at least this long (after warm-up). */
  timingS: number;
  /** JSON file remembering choices; shared by every model pair on this machine. */
  cachePath: string;
  logger: Logger;
  /** For tests: what the key is built from (default: this machine). */
  machine?: MachineInfo;
  /** For tests: how one variant is timed (default: the real worker, see timeVariant). */
  measure?: (model: LoadedModel, threads: number, seconds: number) => Promise<number>;
}

interface CacheEntry {
  precision: Precision;
  fp32P50Ms: number;
  int8P50Ms: number;
  measuredAt: string;
}

/** Everything the answer depends on: the CPU, how many threads, the runtime build, and the two models. */
export function precisionCacheKey(machine: MachineInfo, threads: number, fp32Sha: string, int8Sha: string): string {
  return [
    `cpu ${machine.cpuModel} (${machine.arch}, ${machine.cpuFlags.join(' ') || 'no flags'})`,
    `${threads} threads`,
    `onnxruntime-node ${machine.versions['onnxruntime-node'] ?? 'unknown'}`,
    `fp32 ${fp32Sha.slice(0, 16)}`,
    `int8 ${int8Sha.slice(0, 16)}`,
  ].join(' | ');
}

/** Median batch-1 latency of a model in the pipeline's own inference worker, after warm-up, over at least `seconds`. */
export async function timeVariant(model: LoadedModel, threads: number, seconds: number): Promise<number> {
  const classifier = await Classifier.create({
    modelBytes: model.bytes,
    inputName: model.card.input.name,
    outputName: model.card.output.name,
    intraOpThreads: threads,
  });
  try {
    // Batch 1, whatever the card says about a dynamic batch axis.
    const dims = [1, ...model.card.input.shape.slice(1)];
    const size = dims.reduce((a, b) => a * b, 1);
    const uint8 = model.card.input.dtype === 'uint8';
    // The content does not change the work; a fixed mid-grey keeps runs comparable.
    const frame = (): Float32Array | Uint8Array => (uint8 ? new Uint8Array(size).fill(128) : new Float32Array(size));
    for (let i = 0; i < 5; i++) await classifier.classify(frame(), dims);
    const times: number[] = [];
    const started = performance.now();
    while (times.length < 20 || performance.now() - started < seconds * 1000) times.push((await classifier.classify(frame(), dims)).inferenceMs);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] as number;
  } finally {
    await classifier.close();
  }
}

function readCache(path: string, logger: Logger): Record<string, CacheEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as { entries?: Record<string, CacheEntry> };
    return parsed.entries ?? {};
  } catch (err) {
    // A broken cache only costs a re-measurement; it is rewritten below.
    logger.warn({ path, err: (err as Error).message }, 'precision cache is not valid JSON: measuring again and rewriting it');
    return {};
  }
}

function writeCache(path: string, entries: Record<string, CacheEntry>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ entries }, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Picks FP32 or int8 for this CPU: from the cache when this CPU, runtime, thread count and model pair were timed before, else by timing both now. */
export async function choosePrecision(o: ChoosePrecisionOptions): Promise<PrecisionChoice> {
  const key = precisionCacheKey(o.machine ?? machineInfo(), o.threads, o.fp32.sha256, o.int8.sha256);
  const entries = readCache(o.cachePath, o.logger);
  const cached = entries[key];
  if (cached && (cached.precision === 'fp32' || cached.precision === 'int8')) {
    const choice: PrecisionChoice = {
      precision: cached.precision,
      reason: 'cached',
      timing: { fp32P50Ms: cached.fp32P50Ms, int8P50Ms: cached.int8P50Ms },
      key,
    };
    o.logger.info(
      { ...choice.timing, precision: choice.precision, measuredAt: cached.measuredAt, key },
      'precision auto: using the choice measured earlier on this CPU',
    );
    return choice;
  }
  const measure = o.measure ?? timeVariant;
  o.logger.info({ key, seconds: o.timingS }, 'precision auto: first start on this CPU and runtime, timing FP32 and int8');
  // One after the other: two sessions at once would measure each other.
  const fp32P50Ms = await measure(o.fp32, o.threads, o.timingS);
  const int8P50Ms = await measure(o.int8, o.threads, o.timingS);
  const precision: Precision = int8P50Ms < fp32P50Ms ? 'int8' : 'fp32';
  entries[key] = { precision, fp32P50Ms, int8P50Ms, measuredAt: new Date().toISOString() };
  try {
    writeCache(o.cachePath, entries);
  } catch (err) {
    // Not fatal: the choice holds for this run, and the next start measures again.
    o.logger.warn({ path: o.cachePath, err: (err as Error).message }, 'precision auto: could not save the choice; the next start will measure again');
  }
  o.logger.info(
    { fp32P50Ms, int8P50Ms, precision },
    `precision auto: ${precision} is faster here (FP32 ${fp32P50Ms.toFixed(1)} ms, int8 ${int8P50Ms.toFixed(1)} ms per frame)`,
  );
  return { precision, reason: 'measured', timing: { fp32P50Ms, int8P50Ms }, key };
}
