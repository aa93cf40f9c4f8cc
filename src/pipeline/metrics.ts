// Counters and latency percentiles for one pipeline run: what the summary table and health report show.
import { faultCodeOf, type FaultCode } from '../platform/fieldeye-error.js';

/** Fault events by the code of their error. */
export type FaultCounts = Record<FaultCode, number>;

/** The newest fault: what an operator reads first when the counts move. */
export interface LastFault {
  code: FaultCode;
  /** Where it happened: preprocess, classify, sink:<name>. */
  stage: string;
  message: string;
  atMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export interface StageTimes {
  decode: number;
  preprocess: number;
  inference: number;
  total: number;
}

export interface PipelineSummary {
  frames: number;
  results: number;
  /** Frames that produced no result, by the stage that failed. */
  failedByStage: Record<string, number>;
  /** Results a sink refused or could not deliver, by sink name. */
  sinkFailures: Record<string, number>;
  /** Frames a live source captured but never delivered (e.g. classifier-busy: a newer frame replaced it), by reason. */
  dropped: Record<string, number>;
  positioned: number;
  durationMs: number;
  fps: number;
  latencyMs: { p50: number; p99: number };
  meanStageMs: StageTimes;
  /** Top-1 label counts, most frequent first. */
  top1Counts: Array<{ label: string; count: number }>;
}

export class PipelineMetrics {
  frames = 0;
  results = 0;
  positioned = 0;
  readonly failedByStage: Record<string, number> = {};
  readonly sinkFailures: Record<string, number> = {};
  readonly dropped: Record<string, number> = {};
  readonly faults: FaultCounts = { config: 0, input: 0, model: 0, link: 0, hardware: 0, internal: 0 };
  lastFault: LastFault | null = null;
  private readonly totals: number[] = [];
  private readonly stageSums: StageTimes = { decode: 0, preprocess: 0, inference: 0, total: 0 };
  private readonly top1 = new Map<string, number>();
  private readonly startedMs = performance.now();

  /** A frame that produced no result; the error's fault code is counted too. */
  frameFailed(stage: string, error?: unknown): void {
    this.failedByStage[stage] = (this.failedByStage[stage] ?? 0) + 1;
    if (error !== undefined) this.recordFault(faultCodeOf(error), stage, error);
  }

  private recordFault(code: FaultCode, stage: string, error: unknown): void {
    this.faults[code]++;
    this.lastFault = { code, stage, message: error instanceof Error ? error.message : String(error), atMs: Date.now() };
  }

  /** The source's own drop counters, copied in as the flight goes (the source is what counts them). */
  setDropped(counts: Readonly<Record<string, number>>): void {
    for (const [reason, n] of Object.entries(counts)) if (n > 0) this.dropped[reason] = n;
  }

  /** Total of `dropped`. */
  droppedTotal(): number {
    return Object.values(this.dropped).reduce((sum, n) => sum + n, 0);
  }

  /** A result a sink could not take: a link fault (the broker, or the disk under a file sink). */
  sinkFailed(sink: string, error?: unknown): void {
    this.sinkFailures[sink] = (this.sinkFailures[sink] ?? 0) + 1;
    if (error !== undefined) this.recordFault('link', `sink:${sink}`, error);
  }

  resultDone(times: StageTimes, top1Label: string, positioned: boolean): void {
    this.results++;
    if (positioned) this.positioned++;
    this.totals.push(times.total);
    for (const k of Object.keys(this.stageSums) as Array<keyof StageTimes>) this.stageSums[k] += times[k];
    this.top1.set(top1Label, (this.top1.get(top1Label) ?? 0) + 1);
  }

  /**
   * Results and latency percentiles since `fromResult` (a previous `results` value): the health report's
   * window, so a slow minute is not averaged away by the whole flight.
   */
  window(fromResult: number): { results: number; latencyMs: { p50: number; p99: number } | null } {
    const recent = this.totals.slice(fromResult).sort((a, b) => a - b);
    return {
      results: recent.length,
      latencyMs: recent.length === 0 ? null : { p50: percentile(recent, 50), p99: percentile(recent, 99) },
    };
  }

  summary(): PipelineSummary {
    const durationMs = performance.now() - this.startedMs;
    const sorted = [...this.totals].sort((a, b) => a - b);
    const n = Math.max(1, this.results);
    const mean = (v: number) => v / n;
    return {
      frames: this.frames,
      results: this.results,
      failedByStage: { ...this.failedByStage },
      sinkFailures: { ...this.sinkFailures },
      dropped: { ...this.dropped },
      positioned: this.positioned,
      durationMs,
      fps: durationMs > 0 ? (this.results * 1000) / durationMs : 0,
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
      meanStageMs: {
        decode: mean(this.stageSums.decode),
        preprocess: mean(this.stageSums.preprocess),
        inference: mean(this.stageSums.inference),
        total: mean(this.stageSums.total),
      },
      top1Counts: [...this.top1.entries()].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
    };
  }
}
