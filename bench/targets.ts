// The performance targets (issue 10) checked against one `npm run bench` run: a table of target, measured value and verdict, from the sections' JSON; a Pi 4 gets its own rows.
import { basename } from 'node:path';
import type { InferenceBenchRow } from '../src/vision/inference-bench.js';
import type { MachineInfo } from '../src/platform/machine-info.js';

interface EndToEndRow {
  model: string;
  pipeline: { fps: number };
  naiveFps: number;
  pureInferenceFps: number;
  seedStackFps: number | null;
}

interface MemoryData {
  warm: { rssMb: number };
  end: { rssMb: number };
  peakRssMb: number;
}

interface GroundRun {
  store: string;
  drones: number;
  mode: 'live' | 'backlog';
  results: number;
  resultsPerS: number;
  rssMb: { at25: number; at100: number; max: number; firstHalfMax?: number; secondHalfMax?: number };
}

export interface BenchSections {
  ground?: { runs: GroundRun[] } | null;
  inference?: InferenceBenchRow[];
  'end-to-end'?: { rows: EndToEndRow[] } | null;
  memory?: MemoryData | null;
}

interface Check {
  target: string;
  measured: string;
  met: boolean | null;
}

/** True on a Raspberry Pi 4 (its device-tree model, or the Cortex-A72 the ARM cpuinfo names). */
export function isPi4(machine: MachineInfo, deviceModel: string | null): boolean {
  return /Raspberry Pi 4/i.test(deviceModel ?? '') || (machine.arch === 'arm64' && /cortex-a72/i.test(machine.cpuModel));
}

export function checkTargets(s: BenchSections, pi4: boolean): Check[] {
  const checks: Check[] = [];
  const f = (x: number, d = 2): string => x.toFixed(d);
  const inf = s.inference ?? [];
  const maxThreads = Math.max(0, ...inf.map((r) => r.threads));
  const fp32 = inf.find((r) => r.precision === 'fp32' && r.threads === 1);
  const int8 = inf.filter((r) => r.precision === 'int8' && r.threads === 1).sort((a, b) => a.p50Ms - b.p50Ms)[0];
  if (fp32 && int8) {
    const ratio = fp32.p50Ms / int8.p50Ms;
    checks.push({
      target: 'int8 at least 2.0x faster than FP32 (batch 1, 1 thread)',
      measured: `${f(ratio)}x (${f(fp32.p50Ms)} vs ${f(int8.p50Ms)} ms)`,
      met: ratio >= 2,
    });
  }
  const e2e = s['end-to-end']?.rows ?? [];
  const drone = e2e.find((r) => !/synth-v1/.test(r.model)) ?? e2e[0];
  if (drone) {
    const naive = drone.pipeline.fps / drone.naiveFps;
    checks.push({
      target: 'end-to-end at least 1.2x the naive sequential loop',
      measured: `${f(naive)}x (${f(drone.pipeline.fps, 1)} vs ${f(drone.naiveFps, 1)} frames/s)`,
      met: naive >= 1.2,
    });
    if (drone.seedStackFps !== null) {
      const seed = drone.pipeline.fps / drone.seedStackFps;
      checks.push({
        target: 'at least 3x the seed stack (PyTorch eager + PIL)',
        measured: `${f(seed)}x (${f(drone.pipeline.fps, 1)} vs ${f(drone.seedStackFps, 1)} frames/s)`,
        met: seed >= 3,
      });
    }
  }
  const mem = s.memory;
  if (mem) {
    const growth = ((mem.end.rssMb - mem.warm.rssMb) / mem.warm.rssMb) * 100;
    checks.push({
      target: 'RSS growth under 5 % over 10,000 frames',
      measured: `${f(growth, 1)} % (${f(mem.warm.rssMb, 0)} -> ${f(mem.end.rssMb, 0)} MB)`,
      met: growth < 5,
    });
    checks.push({ target: 'steady RSS at most 300 MB', measured: `${f(mem.end.rssMb, 0)} MB (peak ${f(mem.peakRssMb, 0)} MB)`, met: mem.end.rssMb <= 300 });
  }
  checks.push(...groundChecks(s.ground?.runs ?? []));
  // The fastest FP32 form (the direct model or `fieldeye model winograd`'s) against ncnn's published FP32 time.
  const fp32AtMax = inf.filter((r) => r.precision === 'fp32' && r.threads === Math.min(4, maxThreads)).sort((a, b) => a.p50Ms - b.p50Ms)[0];
  if (fp32AtMax) {
    checks.push({
      target: 'Pi 4: FP32 at most 123 ms per frame with 4 threads (ncnn publishes 123.1 ms at 1.8 GHz)',
      measured: `${f(fp32AtMax.p50Ms)} ms with ${fp32AtMax.threads} threads (${basename(fp32AtMax.model, '.onnx')})`,
      met: pi4 && fp32AtMax.threads === 4 ? fp32AtMax.p50Ms <= 123 : null,
    });
  }
  const int8AtMax = inf.filter((r) => r.precision === 'int8' && r.threads === Math.min(4, maxThreads)).sort((a, b) => a.p50Ms - b.p50Ms)[0];
  if (int8AtMax) {
    checks.push({
      target: 'Pi 4: int8 at most 85 ms per frame with 4 threads (ncnn publishes 84 ms at 1.8 GHz)',
      measured: `${f(int8AtMax.p50Ms)} ms with ${int8AtMax.threads} threads`,
      met: pi4 && int8AtMax.threads === 4 ? int8AtMax.p50Ms <= 85 : null,
    });
  }
  if (drone) {
    checks.push({
      target: 'Pi 4: at least 10 frames/s end to end',
      measured: `${f(drone.pipeline.fps, 1)} frames/s`,
      met: pi4 ? drone.pipeline.fps >= 10 : null,
    });
    const pure = drone.pipeline.fps / drone.pureInferenceFps;
    checks.push({ target: 'Pi 4: end to end at least 0.9x pure inference', measured: `${f(pure)}x`, met: pi4 ? pure >= 0.9 : null });
  }
  return checks;
}

/** Issue 17's goals: one worker keeps up with a fleet, and the ground process does not grow with what it has stored. */
function groundChecks(runs: GroundRun[]): Check[] {
  const checks: Check[] = [];
  const live = (store: string) => runs.find((r) => r.store === store && r.drones === 1 && r.mode === 'live' && r.results < 100_000);
  for (const [store, goal] of [
    ['PostGIS', 2000],
    ['GeoPackage', 1000],
  ] as const) {
    const r = live(store);
    if (r)
      checks.push({
        target: `ground: at least ${goal} results/s into ${store}, one worker`,
        measured: `${r.resultsPerS} results/s`,
        met: r.resultsPerS >= goal,
      });
  }
  for (const r of runs.filter((x) => x.results >= 100_000 && x.rssMb.firstHalfMax !== undefined)) {
    const first = r.rssMb.firstHalfMax ?? 0;
    const second = r.rssMb.secondHalfMax ?? 0;
    const growth = ((second - first) / first) * 100;
    checks.push({
      target: `ground: ${r.store} RSS flat over ${r.results.toLocaleString('en')} results (peak of the second half within 10 % of the first half's)`,
      measured: `${growth.toFixed(1)} % (${first} -> ${second} MB)`,
      met: growth <= 10,
    });
  }
  return checks;
}

export function formatTargets(checks: Check[], pi4: boolean): string {
  const verdict = (c: Check): string => (c.met === null ? `n/a here${pi4 ? '' : ' (not a Pi 4)'}` : c.met ? 'met' : 'NOT MET');
  return ['| target | measured in this run | verdict |', '|---|---|---|', ...checks.map((c) => `| ${c.target} | ${c.measured} | ${verdict(c)} |`)].join('\n');
}
