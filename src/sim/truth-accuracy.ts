// Scores a simulated flight's results against the simulator's ground truth (frames.jsonl source.simulator.zone): accuracy, per-class precision/recall, confusion.
import { classificationReport, type ClassificationReport } from '../model/head-metrics.js';
import type { Result } from '../publish/result-schema.js';
import { FIELD_ZONES } from '../flight/recording-format.js';
import type { FrameRecord } from '../flight/recording-format.js';

export interface TruthScore {
  report: ClassificationReport;
  /** Results whose frame has no ground truth (not a simulated frame); left out of the report. */
  withoutTruth: number;
}

function zoneOf(frame: FrameRecord): string | null {
  const sim = frame.source['simulator'];
  const zone = typeof sim === 'object' && sim !== null ? (sim as { zone?: unknown }).zone : undefined;
  return typeof zone === 'string' && zone !== '' ? zone : null;
}

/** Each result's top-1 label against its frame's true zone (matched by frame name). */
export function scoreAgainstTruth(frames: readonly FrameRecord[], results: readonly Result[]): TruthScore {
  const truth = new Map(frames.map((f) => [f.name, zoneOf(f)]));
  const pairs: Array<{ truth: string; predicted: string }> = [];
  let withoutTruth = 0;
  for (const r of results) {
    const zone = truth.get(r.frame.name) ?? null;
    if (zone === null) withoutTruth++;
    else pairs.push({ truth: zone, predicted: r.top[0]?.label ?? '(none)' });
  }
  // The simulator's classes in its order, then anything else either side named (a model with other labels).
  const seen = new Set(pairs.flatMap((p) => [p.truth, p.predicted]));
  const known: readonly string[] = FIELD_ZONES;
  const labels = [...known.filter((z) => seen.has(z)), ...[...seen].filter((z) => !known.includes(z)).sort()];
  const index = new Map(labels.map((l, i) => [l, i]));
  const report = classificationReport(
    labels,
    pairs.map((p) => index.get(p.truth) as number),
    pairs.map((p) => index.get(p.predicted) as number),
  );
  return { report, withoutTruth };
}
