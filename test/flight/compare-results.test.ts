// compareResults: exact field-by-field comparison that ignores only timings (and paths asked for), matched by frame.
import { describe, expect, it } from 'vitest';
import { compareResults } from '../../src/flight/compare-results.js';
import { sampleResult } from '../publish/sample-result.js';

describe('compareResults', () => {
  const a = [0, 1, 2].map((i) => sampleResult(i));

  it('ignores timings only', () => {
    const b = a.map((r) => ({ ...r, timingsMs: { decode: 1, preprocess: 1, inference: 1, total: 3 } }));
    expect(compareResults(a, b)).toEqual({ sameOrder: true, onlyInA: [], onlyInB: [], differences: [] });
  });

  it('finds a changed score, a moved position, a missing frame and a different order', () => {
    const [r0, r1, r2] = a as [ReturnType<typeof sampleResult>, ReturnType<typeof sampleResult>, ReturnType<typeof sampleResult>];
    const b = [
      { ...r2, top: [{ ...r2.top[0]!, score: 0.8200001 }, r2.top[1]!] },
      { ...r0, position: { ...r0.position!, latDeg: r0.position!.latDeg + 1e-12 } },
      sampleResult(7),
    ];
    const c = compareResults(a, b);
    expect(c.sameOrder).toBe(false);
    expect(c.onlyInA).toEqual([`${r1.frame.name}@${r1.capturedAt}`]);
    expect(c.onlyInB).toHaveLength(1);
    expect(c.differences.map((d) => d.path).sort()).toEqual(['position.latDeg', 'top.0.score']);
    expect(compareResults(a, b, ['position.latDeg', 'top']).differences).toEqual([]);
  });
});
