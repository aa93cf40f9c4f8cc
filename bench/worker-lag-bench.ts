// Measures FP32 batch-1 latency through the worker-thread classifier and the event-loop lag it leaves,
// side by side with the same session run on the main thread (what the worker exists to avoid).
// Usage: node dist/bench/worker-lag-bench.js [--runs N] [--threads N] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { ensureSynthModel } from '../src/model/synth-model.js';
import { generatedModelsDir } from '../src/app/resolve-model.js';
import { Classifier } from '../src/vision/classifier.js';
import { percentile } from '../src/pipeline/metrics.js';

export interface LagRow {
  where: 'worker' | 'main thread';
  latencyMs: { p50: number; p99: number };
  eventLoopLagMs: { p50: number; p99: number; max: number };
}

function input(): Float32Array {
  const x = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.001) * 2;
  return x;
}

async function measure(where: LagRow['where'], runs: number, run: () => Promise<number>): Promise<LagRow> {
  for (let i = 0; i < 5; i++) await run();
  const lat: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  // A 1 ms timer keeps the loop busy with work to be late for, like MQTT keepalives and camera reads.
  const timer = setInterval(() => undefined, 1);
  h.enable();
  for (let i = 0; i < runs; i++) lat.push(await run());
  h.disable();
  clearInterval(timer);
  lat.sort((a, b) => a - b);
  const ms = (ns: number) => ns / 1e6;
  return {
    where,
    latencyMs: { p50: percentile(lat, 50), p99: percentile(lat, 99) },
    eventLoopLagMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
  };
}

export async function workerLagBench(runs: number, threads: number): Promise<LagRow[]> {
  const bytes = readFileSync(await ensureSynthModel(1, generatedModelsDir()));
  const classifier = await Classifier.create({ modelBytes: bytes, inputName: 'input', outputName: 'logits', intraOpThreads: threads });
  const worker = await measure('worker', runs, async () => {
    const t0 = performance.now();
    await classifier.classify(input(), [1, 3, 224, 224]);
    return performance.now() - t0;
  });
  await classifier.close();
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const main = await measure('main thread', runs, async () => {
    const t0 = performance.now();
    await session.run({ input: new ort.Tensor('float32', input(), [1, 3, 224, 224]) });
    return performance.now() - t0;
  });
  await session.release();
  return [worker, main];
}

export function lagTable(rows: LagRow[]): string {
  const f = (n: number) => n.toFixed(1);
  return [
    '| session on | latency p50 | latency p99 | event-loop lag p50 | lag p99 | lag max |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.where} | ${f(r.latencyMs.p50)} ms | ${f(r.latencyMs.p99)} ms | ${f(r.eventLoopLagMs.p50)} ms | ${f(r.eventLoopLagMs.p99)} ms | ${f(r.eventLoopLagMs.max)} ms |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '50' }, threads: { type: 'string', default: '0' }, json: { type: 'string' } } });
  const rows = await workerLagBench(Number(values.runs), Number(values.threads));
  console.log(lagTable(rows));
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
}
