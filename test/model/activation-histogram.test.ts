// Calibration range choices on known distributions: min-max keeps everything, percentile clips a rare outlier, entropy clips a long tail but not the bulk; quantization parameters keep ReLU zeros exact.
import { describe, expect, it } from 'vitest';
import { ActivationHistogram, chooseRange } from '../../src/model/activation-histogram.js';
import { activationQParams, quantizeWeightsPerChannel } from '../../src/model/quant-params.js';
import { SeededRandom } from '../../src/platform/seeded-random.js';

function observed(values: Float32Array): ActivationHistogram {
  const h = new ActivationHistogram();
  h.observeRange(values);
  h.observeHistogram(values);
  return h;
}

/** ReLU of a unit normal (half zeros), plus one outlier at 40. */
function reluWithOutlier(): Float32Array {
  const v = new Float32Array(200_000);
  new SeededRandom(7, 'histogram-test').fillNormal(v, 1);
  for (let i = 0; i < v.length; i++) v[i] = Math.max(0, v[i] as number);
  v[0] = 40;
  return v;
}

describe('chooseRange', () => {
  const h = observed(reluWithOutlier());

  it('minmax keeps the outlier, percentile and entropy clip it but keep the bulk of the distribution', () => {
    expect(chooseRange(h, { method: 'minmax', percentile: 99.99 })).toEqual({ min: 0, max: 40 });
    const p = chooseRange(h, { method: 'percentile', percentile: 99.99 });
    expect(p.min).toBe(0);
    // N(0,1)'s 99.99th percentile of the positive half is about 3.9.
    expect(p.max).toBeGreaterThan(3.3);
    expect(p.max).toBeLessThan(5);
    const e = chooseRange(h, { method: 'entropy', percentile: 99.99 });
    expect(e.min).toBe(0);
    expect(e.max).toBeGreaterThan(2);
    expect(e.max).toBeLessThan(12);
  });

  it('a signed tensor keeps both tails under the percentile method', () => {
    const v = new Float32Array(100_000);
    new SeededRandom(3, 'signed').fillNormal(v, 2);
    const r = chooseRange(observed(v), { method: 'percentile', percentile: 99.9 });
    expect(r.min).toBeLessThan(-5);
    expect(r.max).toBeGreaterThan(5);
  });
});

describe('quantization parameters', () => {
  it('a range from 0 gets the lowest zero point, so onnxruntime can drop the ReLU', () => {
    expect(activationQParams(0, 6.35, 'int8')).toEqual({ scale: Math.fround(6.35 / 255), zeroPoint: -128, type: 'int8' });
    expect(activationQParams(0, 6.35, 'uint8').zeroPoint).toBe(0);
    const signed = activationQParams(-1, 3, 'int8');
    // An integer zero point (so real 0 is exactly representable) and a grid spanning the whole range.
    expect(Number.isInteger(signed.zeroPoint)).toBe(true);
    expect((-128 - signed.zeroPoint) * signed.scale).toBeLessThanOrEqual(-1 + signed.scale);
    expect((127 - signed.zeroPoint) * signed.scale).toBeGreaterThanOrEqual(3 - signed.scale);
  });

  it('weights are symmetric per output channel within [-127, 127]', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 0.1, 0.2, -0.05]);
    const q = quantizeWeightsPerChannel(w, [2, 3], 0);
    expect([...q.scales]).toEqual([Math.fround(1 / 127), Math.fround(0.2 / 127)]);
    expect([...q.data]).toEqual([64, -127, 32, 64, 127, -32]);
  });
});
