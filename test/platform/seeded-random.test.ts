// The seeded generator: pinned outputs (the same on every machine), independent streams, and normal/log accuracy.
import { describe, expect, it } from 'vitest';
import { SeededRandom, deterministicLn } from '../../src/platform/seeded-random.js';

describe('SeededRandom', () => {
  it('gives pinned numbers for a seed and stream (a change here changes every synthetic model)', () => {
    const r = new SeededRandom(1, 'conv1.weight');
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([1310664772, expect.any(Number), expect.any(Number)]);
    const n = new SeededRandom(42, 'pin');
    const normals = [n.normal(), n.normal(), n.normal()];
    const again = new SeededRandom(42, 'pin');
    expect([again.normal(), again.normal(), again.normal()]).toEqual(normals);
    expect(new SeededRandom(0).nextUint32()).toBe(934709000);
  });

  it('keeps streams independent', () => {
    const a = new SeededRandom(7, 'a');
    const b = new SeededRandom(7, 'b');
    const c = new SeededRandom(8, 'a');
    const xa = [a.nextUint32(), a.nextUint32()];
    expect([b.nextUint32(), b.nextUint32()]).not.toEqual(xa);
    expect([c.nextUint32(), c.nextUint32()]).not.toEqual(xa);
  });

  it('fillNormal draws exactly what repeated normal() calls draw', () => {
    const a = new SeededRandom(3, 'w');
    const b = new SeededRandom(3, 'w');
    const filled = a.fillNormal(new Float32Array(1001), 0.5);
    const oneByOne = Float32Array.from({ length: 1001 }, () => b.normal() * 0.5);
    expect(filled).toEqual(oneByOne);
    expect(a.normal()).toBe(b.normal());
  });

  it('draws standard normals', () => {
    const data = new SeededRandom(5, 'stats').fillNormal(new Float32Array(200_000), 1);
    let s = 0;
    let s2 = 0;
    let beyond3 = 0;
    for (const v of data) {
      s += v;
      s2 += v * v;
      if (Math.abs(v) > 3) beyond3++;
    }
    const mean = s / data.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.sqrt(s2 / data.length - mean * mean)).toBeCloseTo(1, 2);
    expect(beyond3 / data.length).toBeCloseTo(0.0027, 3);
  });

  it('rejects seeds that are not unsigned 32-bit integers', () => {
    expect(() => new SeededRandom(-1)).toThrow('seed: expected an integer between 0 and 4294967295, received -1');
    expect(() => new SeededRandom(1.5)).toThrow('received 1.5');
  });
});

describe('deterministicLn', () => {
  it('agrees with Math.log to ~1 ulp over a wide range', () => {
    for (const x of [1e-300, 1e-20, 2.3e-10, 1e-5, 0.1, 0.5, 0.70710678, 1, 1.41421357, 2, 10, 12345.678, 1e20, 1e300]) {
      const expected = Math.log(x);
      expect(Math.abs(deterministicLn(x) - expected)).toBeLessThanOrEqual(Math.max(Math.abs(expected), 1) * 4e-16);
    }
  });

  it('rejects non-positive input', () => {
    expect(() => deterministicLn(0)).toThrow('deterministicLn: expected a finite positive number, received 0');
  });
});
