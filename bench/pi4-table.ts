// The `pi4` bench section's data and markdown: the pi4-model instrument's projections for the deployed models and
// for the non-inference stages of a frame, turned into the two tables the README quotes (pure: no I/O, tested).

/** Central value and band of one projection, ms at 1.8 GHz (predict.py's `prediction.ghz['1.8']['1T'|'4T']`). */
export interface Band {
  ms: number;
  lo: number;
  hi: number;
  /** The same counts through the cost model's other forms (serial-sum is the pessimistic one), not in the band. */
  other_forms?: Record<string, number>;
}

/** The fields of one predict.py --json document this section uses. */
export interface Projection {
  instructions: number;
  classes: Record<string, number>;
  cycles: { block: number | null; bottleneck: number | null; serial: number | null };
  spread: number;
  prediction: { precision: string; k: number; band_rel: [number, number]; ghz: Record<string, { '1T': Band; '4T': Band }> };
  run?: { onnxruntime_node?: string; emulated_run_ms?: number[] };
}

export interface ModelRow {
  /** What the user deploys, e.g. "int8 U8S8 (fieldeye quantize defaults)". */
  label: string;
  path: string;
  /** The x86 p50 latencies the inference section measured in the same run, e.g. "1T 21.3 / 2T 12.0"; null when it did not run. */
  x86P50: string | null;
  /** True for the model whose 1-thread time the frame's non-inference share is taken against. */
  reference: boolean;
  projection: Projection;
}

export interface StageRow {
  stage: string;
  what: string;
  /** null when the stage could not be counted (then `reason` says why). */
  projection: Projection | null;
  reason?: string;
}

export interface Pi4Report {
  models: ModelRow[];
  stages: StageRow[];
}

export const NON_INFERENCE_LIMIT = 0.1;

/** Millions; two decimals below one million, where the frame stages sit. */
const M = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x > 0 && x < 1e6 ? (x / 1e6).toFixed(2) : (x / 1e6).toFixed(1));
/** As predict.py prints them: one decimal below 10 ms, whole ms above; two decimals below 1 ms (stages are small). */
export function fmtMs(x: number): string {
  return x < 1 ? x.toFixed(2) : x < 10 ? x.toFixed(1) : x.toFixed(0);
}
const band = (b: Band | undefined): string => (b ? `${fmtMs(b.ms)} [${fmtMs(b.lo)}-${fmtMs(b.hi)}]` : '-');
const at18 = (p: Projection, threads: '1T' | '4T'): Band | undefined => p.prediction.ghz['1.8']?.[threads];

export function modelTable(rows: ModelRow[]): string {
  return [
    '| model | instructions M | FMLA M | int multiply M | per-block cycles M | Pi 4 ms [band] @1.8 GHz, 1 thread | 4 threads [band] (ncnn scaling borrowed) | x86 p50 ms, this run |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const p = r.projection;
      return `| ${r.label} | ${M(p.instructions)} | ${M(p.classes['neon_fp_fma'])} | ${M(p.classes['neon_int_mul'])} | ${M(p.cycles.block)} | ${band(at18(p, '1T'))} | ${band(at18(p, '4T'))} | ${r.x86P50 ?? '-'} |`;
    }),
  ].join('\n');
}

export interface FrameSummary {
  /** Sum over the counted stages, 1.8 GHz, one core. */
  total: Band | null;
  reference: { label: string; oneThread: Band; fourThreads: Band } | null;
  /** total / the reference model's 1-thread and 4-thread central times. */
  shareOf1T: number | null;
  shareOf4T: number | null;
  /** The total through the serial-sum form: the calibration was fitted on convolution kernels, not JavaScript. */
  serialTotalMs: number | null;
  counted: string[];
  notCounted: string[];
}

export function summariseFrame(report: Pi4Report): FrameSummary {
  const counted = report.stages.filter((s) => s.projection !== null);
  const bands = counted.map((s) => at18(s.projection as Projection, '1T')).filter((b): b is Band => b !== undefined);
  // Every projection carries the same relative band (one calibration factor), so the bands add up like the centres.
  const total = bands.length ? bands.reduce((a, b) => ({ ms: a.ms + b.ms, lo: a.lo + b.lo, hi: a.hi + b.hi })) : null;
  const ref = report.models.find((m) => m.reference);
  const oneThread = ref ? at18(ref.projection, '1T') : undefined;
  const fourThreads = ref ? at18(ref.projection, '4T') : undefined;
  return {
    total,
    reference: ref && oneThread && fourThreads ? { label: ref.label, oneThread, fourThreads } : null,
    shareOf1T: total && oneThread ? total.ms / oneThread.ms : null,
    shareOf4T: total && fourThreads ? total.ms / fourThreads.ms : null,
    serialTotalMs:
      bands.every((b) => b.other_forms?.['serial'] !== undefined) && bands.length ? bands.reduce((a, b) => a + (b.other_forms?.['serial'] ?? 0), 0) : null,
    counted: counted.map((s) => s.stage),
    notCounted: report.stages.filter((s) => s.projection === null).map((s) => s.stage),
  };
}

const pct = (x: number | null): string => (x === null ? '-' : x < 0.001 ? '< 0.1 %' : `${(x * 100).toFixed(1)} %`);

export function frameTable(report: Pi4Report): string {
  const s = summariseFrame(report);
  const ref1 = s.reference?.oneThread.ms;
  const lines = [
    `| frame stage (not inference) | instructions M | per-block cycles M | Pi 4 ms [band] @1.8 GHz, 1 core | share of ${s.reference ? `${s.reference.label}` : 'inference'}, 1 thread |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const r of report.stages) {
    const p = r.projection;
    const b = p ? at18(p, '1T') : undefined;
    lines.push(
      p
        ? `| ${r.stage}: ${r.what} | ${M(p.instructions)} | ${M(p.cycles.block)} | ${band(b)} | ${b && ref1 ? pct(b.ms / ref1) : '-'} |`
        : `| ${r.stage}: ${r.what} | not counted | | | ${r.reason ?? ''} |`,
    );
  }
  lines.push(`| **non-inference total** (${s.counted.join(' + ') || 'nothing counted'}) | | | **${band(s.total ?? undefined)}** | **${pct(s.shareOf1T)}** |`);
  return lines.join('\n');
}

export function verdict(report: Pi4Report): string {
  const s = summariseFrame(report);
  if (s.shareOf1T === null || !s.reference) return 'Non-inference share: not available (no stage or no reference model counted).';
  const ok = s.shareOf1T < NON_INFERENCE_LIMIT;
  return (
    `Non-inference part of a frame: ${pct(s.shareOf1T)} of ${s.reference.label} inference at 1 thread ` +
    `(${pct(s.shareOf4T)} of the borrowed 4-thread estimate); target < ${NON_INFERENCE_LIMIT * 100} %: ${ok ? 'met' : 'NOT met'}` +
    `${s.notCounted.length ? ` (not counted: ${s.notCounted.join(', ')})` : ''}.` +
    (s.serialTotalMs !== null
      ? ` The stages through the pessimistic serial-sum form: ${fmtMs(s.serialTotalMs)} ms, ${pct(s.serialTotalMs / s.reference.oneThread.ms)} of the same inference time.`
      : '')
  );
}

export function pi4Markdown(report: Pi4Report, header: string): string {
  return [header, '', modelTable(report.models), '', frameTable(report), '', verdict(report)].join('\n');
}
