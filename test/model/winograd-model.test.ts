// `fieldeye model winograd`: the rewritten ResNet-18 (3x3 stride-1 convs as Winograd F(4,3) / F(2,3)) gives the direct model's logits within 1e-4 on the golden images.
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

  const variants = [
    { label: 'default F(4,3), NHWC transforms, one MatMul per position', args: [], tile: 4 },
    { label: 'F(4,3), NHWC, one batched MatMul', args: ['--product', 'batched'], tile: 4 },
    { label: 'F(2,3), NHWC, Add/Sub input transform', args: ['--tile', '2', '--input-transform', 'adds'], tile: 2 },
    { label: 'F(2,3), NCHW transforms', args: ['--tile', '2', '--layout', 'nchw'], tile: 2 },
  ];
  for (const v of variants) {
    it(`${v.label}: rewrites the 13 3x3 stride-1 convs and keeps the logits within 1e-4 on every golden image`, async () => {
      const out = join(dir, `resnet18-f${v.tile}${v.args.join('')}.onnx`);
      const r = await runCli(['model', 'winograd', '--model', source.path, '--out', out, ...v.args]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(new RegExp(`13 conv\\(s\\) as Winograd F\\(${v.tile},3\\).*7 left direct; 20 BatchNormalization\\(s\\) folded`));
      const rewritten = await loadModel(out, { logger: silentLogger });
      expect(rewritten.warnings).toEqual([]);
      expect(rewritten.card.name).toBe(`${source.card.name}-winograd`);
      // What stays a Conv: the 7x7 stem, the three stride-2 3x3 convs and the three 1x1 downsamples.
      const graph = decodeModel(rewritten.bytes).graph;
      const convs = graph.node.filter((n) => n.opType === 'Conv');
      expect(convs).toHaveLength(7);
      for (const c of convs) {
        const k = findInitializer(graph, c.input[1] ?? '')?.dims.map(Number) ?? [];
        expect(k[2] !== 3 || attrIntsOf(c, 'strides').some((s) => s !== 1), c.name).toBe(true);
      }
      const worst = await worstLogitDiff(source, out);
      console.log(`winograd ${v.label} vs direct, ${manifest.fixtures.length} golden images: max abs logit difference ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    }, 240_000);
  }

  it('refuses Add/Sub input transforms for F(4,3) and writes nothing', async () => {
    const out = join(dir, 'bad.onnx');
    const r = await runCli(['model', 'winograd', '--model', source.path, '--out', out, '--tile', '4', '--input-transform', 'adds']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--input-transform adds needs --tile 2/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
