// Softmax and top-k: order, ties, labels, numerical stability.
import { describe, expect, it } from 'vitest';
import { softmax, topK } from '../../src/vision/top-k.js';

describe('topK', () => {
  it('returns the k best classes, best first, with softmax scores', () => {
    const top = topK([1, 3, 2, 0], 2, ['a', 'b', 'c', 'd']);
    expect(top.map((t) => t.label)).toEqual(['b', 'c']);
    const e = [1, 3, 2, 0].map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    expect(top[0]?.score).toBeCloseTo((e[1] as number) / sum, 12);
  });
  it('breaks ties by lower index, so results are deterministic', () => {
    expect(topK([5, 5, 5], 3, ['x', 'y', 'z']).map((t) => t.index)).toEqual([0, 1, 2]);
  });
  it('stays finite for large logits', () => {
    const p = softmax([1000, 999, -1000]);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
    expect(Number.isFinite(p[0])).toBe(true);
  });
  it('names classes without a label', () => {
    expect(topK([0, 1], 1, [])[0]?.label).toBe('class 1');
  });
  it('k larger than the class count returns all classes', () => {
    expect(topK([0, 1], 5, ['a', 'b'])).toHaveLength(2);
  });
});
