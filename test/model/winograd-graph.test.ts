// The Winograd graph rewrite on single convs run by onnxruntime: every F(m,3) tile, every stride-2 polyphase tile and the space-to-depth stem give the direct Conv's output on odd and even sizes (the tail tiles cropped).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { AttributeType, encodeModel, TensorDataType, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { float32Tensor, tensorValueInfo } from '../../src/onnx/onnx-graph.js';
import { winogradGraph, type WinogradOptions } from '../../src/model/winograd-graph.js';
import { WINOGRAD_TILES } from '../../src/model/winograd-math.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

interface ConvCase {
  c: number;
  k: number;
  size: number;
  kernel: number;
  stride: number;
  pad: number;
}

/** A model of one Conv (with bias) on [1, c, size, size], seeded weights. */
function oneConv(cc: ConvCase, seed: number): OnnxModel {
  const rnd = lcg(seed);
  const w = Float32Array.from({ length: cc.k * cc.c * cc.kernel ** 2 }, rnd);
  const b = Float32Array.from({ length: cc.k }, rnd);
  const ints = (name: string, v: number[]) => ({ name, type: AttributeType.INTS, ints: v });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'one-conv',
      node: [
        {
          name: 'conv',
          opType: 'Conv',
          input: ['x', 'w', 'b'],
          output: ['y'],
          attribute: [ints('kernel_shape', [cc.kernel, cc.kernel]), ints('strides', [cc.stride, cc.stride]), ints('pads', [cc.pad, cc.pad, cc.pad, cc.pad])],
        },
      ],
      initializer: [float32Tensor('w', [cc.k, cc.c, cc.kernel, cc.kernel], w), float32Tensor('b', [cc.k], b)],
      input: [tensorValueInfo('x', TensorDataType.FLOAT, [1, cc.c, cc.size, cc.size])],
      output: [{ name: 'y', type: { tensorType: { elemType: TensorDataType.FLOAT } } }],
      valueInfo: [],
    },
  };
}

async function run(model: OnnxModel, x: Float32Array, cc: ConvCase): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  try {
    return (await s.run({ x: new ort.Tensor('float32', x, [1, cc.c, cc.size, cc.size]) }))['y']?.data as Float32Array;
  } finally {
    await s.release();
  }
}

/** Rewrites the conv with `opts` and returns the worst |difference| relative to the largest output, and what the report says. */
async function compare(cc: ConvCase, opts: Partial<WinogradOptions>): Promise<{ rel: number; rewritten: number; skipped: string[]; ops: string[] }> {
  const x = Float32Array.from({ length: cc.c * cc.size ** 2 }, lcg(7));
  const want = await run(oneConv(cc, 3), x, cc);
  const model = oneConv(cc, 3);
  const report = winogradGraph(model.graph, { tile: 4, layout: 'nhwc', inputTransform: 'matmul', product: 'split', ...opts });
  const got = await run(model, x, cc);
  expect(got).toHaveLength(want.length);
  const scale = Math.max(...Array.from(want, Math.abs));
  const rel = Math.max(...Array.from(want, (v, i) => Math.abs(v - (got[i] ?? NaN)))) / scale;
  return { rel, rewritten: report.rewritten.length, skipped: report.skipped.map((s) => s.reason), ops: [...new Set(model.graph.node.map((n) => n.opType))] };
}

// A wrong index or crop gives errors of the outputs' own size; float32 rounding through F(7,3)'s large
// transform entries gives ~5e-5 (the accuracy on a whole network is winograd-model.test.ts's business).
const tolerance = (m: number): number => (m === 7 ? 2e-4 : 1e-5);

describe('Winograd rewrite of one conv, run by onnxruntime', () => {
  for (const m of WINOGRAD_TILES) {
    for (const size of [11, 16]) {
      it(`3x3 stride 1, F(${m},3), ${size}x${size}`, async () => {
        const r = await compare({ c: 5, k: 6, size, kernel: 3, stride: 1, pad: 1 }, { tile: m });
        expect([r.rewritten, r.ops.includes('Conv')]).toEqual([1, false]);
        expect(r.rel).toBeLessThan(tolerance(m));
      });
      it(`3x3 stride 2, polyphase F(${m},2), ${size}x${size}`, async () => {
        const r = await compare({ c: 5, k: 6, size, kernel: 3, stride: 2, pad: 1 }, { stride2: m });
        expect([r.rewritten, r.ops.includes('Conv')]).toEqual([1, false]);
        expect(r.rel).toBeLessThan(tolerance(m));
      });
    }
  }

  for (const m of [2, 3, 4] as const) {
    it(`7x7 stride-2 stem as space-to-depth and F(${m},4), 30x30 (output 15, the last tile cropped)`, async () => {
      const r = await compare({ c: 3, k: 8, size: 30, kernel: 7, stride: 2, pad: 3 }, { stem: m });
      expect(r.rewritten).toBe(1);
      expect(r.ops).toEqual(expect.arrayContaining(['SpaceToDepth', 'MatMul']));
      expect(r.ops).not.toContain('Conv');
      expect(r.rel).toBeLessThan(1e-5);
    });
  }

  it('a stem whose padded size is odd stays a direct Conv, and stride 2 is left direct unless asked', async () => {
    const stem = await compare({ c: 3, k: 8, size: 31, kernel: 7, stride: 2, pad: 3 }, { stem: 4 });
    expect([stem.rewritten, stem.skipped]).toEqual([0, ['kernel 7x7 stride 2']]);
    const s2 = await compare({ c: 5, k: 6, size: 16, kernel: 3, stride: 2, pad: 1 }, {});
    expect([s2.rewritten, s2.skipped]).toEqual([0, ['stride 2 (see --stride2-tile)']]);
    expect(Math.max(stem.rel, s2.rel)).toBe(0);
  });
});
