// `fieldeye model winograd`: the rewritten ResNet-18 (every plan: 3x3 convs as Winograd F(m,3) / stride-2 polyphase, the space-to-depth stem) gives the direct model's logits within 1e-4 on the golden images.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { decodeModel } from '../../src/onnx/onnx-proto.js';
import { attrIntsOf, findInitializer } from '../../src/onnx/onnx-graph.js';
import { loadModel, type LoadedModel } from '../../src/vision/model-loader.js';
import { preprocessImage } from '../../src/vision/preprocess.js';
import { preprocessOptionsFor } from '../../src/vision/image-classifier.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { silentLogger } from '../../src/platform/logger.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const GOLDEN = resolve(REPO_ROOT, 'test/fixtures/golden');
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as { fixtures: { file: string }[] };

/** Max |logit difference| of `candidate` against `source` over every golden image, preprocessed as the pipeline's exact mode does. */
async function worstLogitDiff(source: LoadedModel, candidate: string): Promise<number> {
  const direct = await ort.InferenceSession.create(source.bytes, { intraOpNumThreads: 1 });
  const rewritten = await ort.InferenceSession.create(candidate, { intraOpNumThreads: 1 });
  try {
    const opts = preprocessOptionsFor(source, 'exact');
    let worst = 0;
    for (const f of manifest.fixtures) {
      const pre = await preprocessImage(await readFile(join(GOLDEN, 'images', f.file)), opts);
      const feed = { [source.card.input.name]: new ort.Tensor('float32', pre.input, [1, 3, 224, 224]) };
      const want = (await direct.run(feed))['logits']?.data as Float32Array;
      const got = (await rewritten.run(feed))['logits']?.data as Float32Array;
      expect(got).toHaveLength(1000);
      want.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - (got[k] ?? NaN)))));
    }
    return worst;
  } finally {
    await direct.release();
    await rewritten.release();
  }
}

describe('fieldeye model winograd', () => {
  let dir: string;
  let source: LoadedModel;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldeye-winograd-'));
    source = await loadModel(await ensureSynthModel(1, generatedModelsDir()), { logger: silentLogger });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Only the stride-1 rewrite: the 7x7 stem, the three stride-2 3x3 convs and the three 1x1 downsamples stay Convs.
  const stride1Only = { rewritten: 13, direct: 7, kernels: ['1x1 s2', '1x1 s2', '1x1 s2', '3x3 s2', '3x3 s2', '3x3 s2', '7x7 s2'] };
  const noStride2 = ['--stride2-tile', 'direct', '--stem-tile', 'direct'];
  const f = (s: string): string => s.replace(/[()+]/g, (c) => `\\${c}`);
  const variants = [
    {
      label: 'default plan: F(4,3), F(5,3) at 14x14, stride-2 polyphase at 28 and 14',
      args: [],
      tiles: f('(F(4,3) x10, stride-2 F(4,2)+odd x1, stride-2 F(7,2)+odd x1, F(5,3) x3)'),
      rewritten: 15,
      direct: 5,
      kernels: ['1x1 s2', '1x1 s2', '1x1 s2', '3x3 s2', '7x7 s2'],
    },
    { label: 'F(4,3) only, NHWC transforms, one MatMul per position', args: ['--tile', '4', ...noStride2], tiles: f('F(4,3)'), ...stride1Only },
    { label: 'F(4,3) only, NHWC, one batched MatMul', args: ['--tile', '4', '--product', 'batched', ...noStride2], tiles: f('F(4,3)'), ...stride1Only },
    { label: 'F(2,3), NHWC, Add/Sub input transform', args: ['--tile', '2', '--input-transform', 'adds', ...noStride2], tiles: f('F(2,3)'), ...stride1Only },
    {
      label: 'F(2,3) and the default stride-2 plan, NCHW transforms',
      args: ['--tile', '2', '--layout', 'nchw'],
      tiles: f('(F(2,3) x13, stride-2 F(4,2)+odd x1, stride-2 F(7,2)+odd x1)'),
      rewritten: 15,
      direct: 5,
      kernels: ['1x1 s2', '1x1 s2', '1x1 s2', '3x3 s2', '7x7 s2'],
    },
    {
      label: 'stride 2 at 7x7 too (F(4,2)) and the space-to-depth stem (F(4,4))',
      args: ['--stride2-tile', '28:4,14:7,7:4', '--stem-tile', '4'],
      tiles: f('(space-to-depth stem F(4,4) x1, F(4,3) x10, stride-2 F(4,2)+odd x2, stride-2 F(7,2)+odd x1, F(5,3) x3)'),
      rewritten: 17,
      direct: 3,
      kernels: ['1x1 s2', '1x1 s2', '1x1 s2'],
    },
  ];
  for (const v of variants) {
    it(`${v.label}: rewrites ${v.rewritten} convs and keeps the logits within 1e-4 on every golden image`, async () => {
      const out = join(dir, `resnet18-${v.args.join('').replace(/[^a-z0-9]/gi, '')}.onnx`);
      const r = await runCli(['model', 'winograd', '--model', source.path, '--out', out, ...v.args]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(new RegExp(`${v.rewritten} conv\\(s\\) as Winograd ${v.tiles}.*${v.direct} left direct; 20 BatchNormalization\\(s\\) folded`));
      const rewritten = await loadModel(out, { logger: silentLogger });
      expect(rewritten.warnings).toEqual([]);
      expect(rewritten.card.name).toBe(`${source.card.name}-winograd`);
      const graph = decodeModel(rewritten.bytes).graph;
      const kernels = graph.node
        .filter((n) => n.opType === 'Conv')
        .map(
          (c) =>
            `${
              findInitializer(graph, c.input[1] ?? '')
                ?.dims.slice(2)
                .join('x') ?? '?'
            } s${attrIntsOf(c, 'strides')[0] ?? 1}`,
        );
      expect(kernels.sort()).toEqual(v.kernels);
      const worst = await worstLogitDiff(source, out);
      console.log(`winograd ${v.label} vs direct, ${manifest.fixtures.length} golden images: max abs logit difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    }, 240_000);
  }

  it('refuses tile plans it cannot build, naming the flag and the value, and writes nothing', async () => {
    const out = join(dir, 'bad-plan.onnx');
    const cases: Array<[string[], RegExp]> = [
      [['--tile', '9'], /--tile: tile 9 is not one of 2, 3, 4, 5, 6, 7 or direct/],
      [['--stride2-tile', '14-7'], /--stride2-tile: tile 14-7 is not one of/],
      [['--stride2-tile', 'x:4'], /--stride2-tile: x:4 is not SIZE:TILE/],
      [['--stem-tile', '7'], /--stem-tile: F\(m,4\) is available for m = 2 to 5, or direct \(received 7\)/],
      [['--tile', 'direct'], /--tile direct would rewrite nothing/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['model', 'winograd', '--model', source.path, '--out', out, ...args]);
      expect([r.code === 0, r.stderr]).toEqual([false, expect.stringMatching(message)]);
    }
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);

  it('refuses Add/Sub input transforms for F(4,3) and writes nothing', async () => {
    const out = join(dir, 'bad.onnx');
    const r = await runCli(['model', 'winograd', '--model', source.path, '--out', out, '--tile', '4', '--input-transform', 'adds']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--input-transform adds needs F\(2,3\) everywhere and nothing else .*add --tile 2 --stride2-tile direct --stem-tile direct/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
