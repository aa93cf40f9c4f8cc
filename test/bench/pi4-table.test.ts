// The pi4 bench section's tables: the figures come from predict.py's JSON unchanged, stages add up, and a stage that
// could not be counted says so instead of being estimated. (No timing is asserted: the numbers here are made up.)
import { describe, expect, it } from 'vitest';
import { frameTable, modelTable, summariseFrame, verdict, type Pi4Report, type Projection } from '../../bench/pi4-table.js';

function projection(ms: number, instructions: number, extra: Partial<Projection> = {}): Projection {
  const b = (x: number) => ({ ms: x, lo: x * 0.765, hi: x * 1.299, other_forms: { serial: x * 1.5 } });
  return {
    instructions,
    classes: { neon_fp_fma: 0, neon_int_mul: 344.2e6 },
    cycles: { block: 254.5e6, bottleneck: 240e6, serial: 380e6 },
    spread: 0.001,
    prediction: { precision: 'int8', k: 1.616, band_rel: [-0.235, 0.299], ghz: { '1.8': { '1T': b(ms), '4T': b(ms / 1.89) } } },
    ...extra,
  };
}

const report: Pi4Report = {
  models: [
    {
      label: 'FP32 (m.onnx)',
      path: 'm.onnx',
      x86P50: null,
      reference: false,
      projection: projection(466, 666.2e6, { classes: { neon_fp_fma: 473.3e6, neon_int_mul: 0 } }),
    },
    { label: 'int8 U8S8 (quantize defaults)', path: 'q.onnx', x86P50: '1T 21.3 / 2T 12.0', reference: true, projection: projection(200, 576.8e6) },
  ],
  stages: [
    { stage: 'i420', what: 'raw to tensor', projection: projection(3.7, 9.8e6) },
    { stage: 'encode', what: 'encodeResult', projection: projection(1.3, 3.2e6) },
    { stage: 'outbox', what: 'commit', projection: null, reason: 'no arm64 addon' },
  ],
};

describe('pi4 bench tables', () => {
  it("prints each model's counts in millions with predict.py's central value and band", () => {
    const lines = modelTable(report.models).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| FP32 (m.onnx) | 666.2 | 473.3 | 0.0 | 254.5 | 466 [356-605] | 247 [189-320] | - |');
    expect(lines[3]).toContain('| int8 U8S8 (quantize defaults) | 576.8 | 0.0 | 344.2 |');
    expect(lines[3]).toContain('| 1T 21.3 / 2T 12.0 |');
  });

  it("adds the counted stages, takes their share of the default int8's 1-thread time and names what was not counted", () => {
    const s = summariseFrame(report);
    expect(s.total?.ms).toBeCloseTo(5.0, 6);
    expect(s.shareOf1T).toBeCloseTo(0.025, 6);
    expect(s.shareOf4T).toBeCloseTo((5.0 * 1.89) / 200, 6);
    expect(s.notCounted).toEqual(['outbox']);
    const table = frameTable(report);
    expect(table).toContain('| i420: raw to tensor | 9.8 | 254.5 | 3.7 [2.8-4.8] | 1.9 % |');
    expect(table).toContain('| outbox: commit | not counted | | | no arm64 addon |');
    expect(table).toContain('| **non-inference total** (i420 + encode) | | | **5.0 [3.8-6.5]** | **2.5 %** |');
    expect(verdict(report)).toMatch(/^Non-inference part of a frame: 2\.5 % of int8 U8S8 .* target < 10 %: met \(not counted: outbox\)\. /);
    expect(verdict(report)).toContain('serial-sum form: 7.5 ms, 3.8 % of the same inference time.');
  });

  it('says when the share cannot be given rather than printing a number', () => {
    expect(verdict({ models: [], stages: report.stages })).toMatch(/not available/);
  });
});
