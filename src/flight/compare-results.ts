// Compares two result sets of the same flight field by field, leaving out per-stage timings (which differ on every run).
import type { Result } from '../publish/result-schema.js';

export interface ResultDifference {
  /** The frame, as "name@capturedAt". */
  frame: string;
  /** Dotted path of the field that differs ("top.0.score", "position.latDeg"). */
  path: string;
  a: unknown;
  b: unknown;
}

export interface ResultsComparison {
  /** Frames in both sets in the same order. */
  sameOrder: boolean;
  onlyInA: string[];
  onlyInB: string[];
  differences: ResultDifference[];
}

/** Frames are matched by name and capture time, which survive recording and replay; seq does not when every Nth frame is kept. */
export function frameKey(r: Pick<Result, 'frame' | 'capturedAt'>): string {
  return `${r.frame.name}@${r.capturedAt}`;
}

function diff(frame: string, path: string, a: unknown, b: unknown, ignore: ReadonlySet<string>, out: ResultDifference[]): void {
  if (ignore.has(path)) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      diff(frame, path === '' ? k : `${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], ignore, out);
    }
    return;
  }
  if (!Object.is(a, b)) out.push({ frame, path, a, b });
}

/**
 * Every field of every matched frame except timingsMs (and the dotted paths in `ignore`, e.g. "position.source"
 * when comparing a live run with its replay). Exact equality: a deterministic replay reproduces every bit.
 */
export function compareResults(a: readonly Result[], b: readonly Result[], ignore: readonly string[] = []): ResultsComparison {
  const skip = new Set(['timingsMs', ...ignore]);
  const byKey = new Map(b.map((r) => [frameKey(r), r]));
  const keysA = a.map(frameKey);
  const keysB = new Set(byKey.keys());
  const differences: ResultDifference[] = [];
  for (const r of a) {
    const other = byKey.get(frameKey(r));
    if (other) diff(frameKey(r), '', r, other, skip, differences);
  }
  const common = keysA.filter((k) => keysB.has(k));
  const commonB = b.map(frameKey).filter((k) => keysA.includes(k));
  return {
    sameOrder: common.length === commonB.length && common.every((k, i) => k === commonB[i]),
    onlyInA: keysA.filter((k) => !keysB.has(k)),
    onlyInB: [...keysB].filter((k) => !keysA.includes(k)),
    differences,
  };
}
