// Compares two result sets of one flight (two models, two configs): top-1 changes, agreement, score drift, geotag drift.
import { distanceM } from '../geo/local-metres.js';
import type { Result } from '../publish/result-schema.js';
import { frameKey } from './compare-results.js';

export interface Top1Change {
  frame: string;
  a: { label: string; score: number };
  b: { label: string; score: number };
}

export interface DiffReport {
  framesA: number;
  framesB: number;
  /** Frames in both sets (matched by name and capture time). */
  matched: number;
  onlyInA: string[];
  onlyInB: string[];
  top1Changes: Top1Change[];
  /** Share of matched frames with the same top-1 class (1 when nothing matched). */
  agreement: number;
  /** |B's score for A's top-1 class - A's score| (0 when B's top-k lacks it counts as B = 0). */
  scoreDrift: { mean: number; max: number };
  /** Distance between A's and B's positions where both have one; positions present in one set only are counted. */
  geotagDrift: { compared: number; meanM: number; maxM: number; onlyInA: number; onlyInB: number };
}

export function diffResults(a: readonly Result[], b: readonly Result[]): DiffReport {
  const byKey = new Map(b.map((r) => [frameKey(r), r]));
  const keysA = new Set(a.map(frameKey));
  const top1Changes: Top1Change[] = [];
  const scoreDrifts: number[] = [];
  const geo: number[] = [];
  let posOnlyA = 0;
  let posOnlyB = 0;
  let matched = 0;
  for (const ra of a) {
    const rb = byKey.get(frameKey(ra));
    if (!rb) continue;
    matched++;
    const ta = ra.top[0];
    const tb = rb.top[0];
    if (ta && tb) {
      if (ta.index !== tb.index) top1Changes.push({ frame: frameKey(ra), a: { label: ta.label, score: ta.score }, b: { label: tb.label, score: tb.score } });
      scoreDrifts.push(Math.abs((rb.top.find((t) => t.index === ta.index)?.score ?? 0) - ta.score));
    }
    if (ra.position && rb.position) geo.push(distanceM(ra.position, rb.position));
    else if (ra.position) posOnlyA++;
    else if (rb.position) posOnlyB++;
  }
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);
  return {
    framesA: a.length,
    framesB: b.length,
    matched,
    onlyInA: a.map(frameKey).filter((k) => !byKey.has(k)),
    onlyInB: b.map(frameKey).filter((k) => !keysA.has(k)),
    top1Changes,
    agreement: matched === 0 ? 1 : (matched - top1Changes.length) / matched,
    scoreDrift: { mean: mean(scoreDrifts), max: Math.max(0, ...scoreDrifts) },
    geotagDrift: { compared: geo.length, meanM: mean(geo), maxM: Math.max(0, ...geo), onlyInA: posOnlyA, onlyInB: posOnlyB },
  };
}
