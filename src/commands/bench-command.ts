// `fieldeye bench`: batch-1 inference latency per model and thread count, with the machine recorded, as a markdown table (and JSON on request).
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { machineInfo, type MachineInfo } from '../platform/machine-info.js';
import { DEFAULT_INFERENCE_BENCH, benchInference, formatInferenceTable, formatPrecisionVerdicts, type InferenceBenchRow } from '../vision/inference-bench.js';
import { generatedModelsDir } from '../app/resolve-model.js';
import { ensureSynthModel } from '../model/synth-model.js';

export interface BenchCommandOptions {
  model: string[];
  threads: number[];
  seconds: number;
  json?: string;
}

export interface BenchReport {
  kind: 'inference';
  startedAt: string;
  machine: MachineInfo;
  settings: { threads: number[]; warmupRuns: number; minRuns: number; minSeconds: number; batch: 1; spinning: false };
  rows: InferenceBenchRow[];
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.arch}, ${m.os}; flags ${m.cpuFlags.join(' ') || 'n/a'}; node ${m.node}, onnxruntime-node ${m.versions['onnxruntime-node']}`;
}

export async function benchCommand(opts: BenchCommandOptions, logger: Logger): Promise<number> {
  const models = opts.model.length > 0 ? opts.model : [await ensureSynthModel(1, generatedModelsDir())];
  const settings = { ...DEFAULT_INFERENCE_BENCH, threads: opts.threads, minSeconds: opts.seconds };
  const startedAt = new Date().toISOString();
  logger.info({ models, threads: opts.threads }, 'benchmarking');
  const rows = await benchInference({ ...settings, models });
  const report: BenchReport = {
    kind: 'inference',
    startedAt,
    machine: machineInfo(),
    settings: {
      threads: settings.threads,
      warmupRuns: settings.warmupRuns,
      minRuns: settings.minRuns,
      minSeconds: settings.minSeconds,
      batch: 1,
      spinning: false,
    },
    rows,
  };
  process.stdout.write(
    `batch-1 inference, ${settings.warmupRuns} warm-up runs, then >= ${settings.minRuns} runs and >= ${settings.minSeconds} s each; ${describeMachine(report.machine)}\n\n`,
  );
  process.stdout.write(`${formatInferenceTable(rows, (p) => basename(p))}\n`);
  const verdicts = formatPrecisionVerdicts(rows);
  if (verdicts) process.stdout.write(`\n${verdicts}\n`);
  if (opts.json) await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}
