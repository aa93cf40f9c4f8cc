// `fieldeye model fuse-input`: the fused model fed the crop's bytes gives the original model's logits (fed the normalised tensor) on the golden images.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { ModelCardSchema } from '../../src/vision/model-card.js';
import { decodeModel } from '../../src/onnx/onnx-proto.js';
import { loadModel, type LoadedModel } from '../../src/vision/model-loader.js';
import { preprocessImage } from '../../src/vision/preprocess.js';
import { preprocessOptionsFor } from '../../src/vision/image-classifier.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { silentLogger } from '../../src/platform/logger.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const GOLDEN = resolve(REPO_ROOT, 'test/fixtures/golden');
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as { fixtures: { file: string }[] };

describe('fieldeye model fuse-input', () => {
  let dir: string;
  let source: LoadedModel;
  let fused: LoadedModel;
  let fusedPath: string;
  let cli: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldeye-fuse-'));
    source = await loadModel(await ensureSynthModel(1, generatedModelsDir()), { logger: silentLogger });
    fusedPath = join(dir, 'resnet18-rgb.onnx');
    cli = await runCli(['model', 'fuse-input', '--model', source.path, '--out', fusedPath]);
    fused = await loadModel(fusedPath, { logger: silentLogger });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a model whose card declares uint8 NHWC input_rgb and the in-graph mean/std', () => {
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/input "input_rgb" uint8 NHWC \[-1, 224, 224, 3\]/);
    expect(fused.card.input).toEqual({
      name: 'input_rgb',
      dtype: 'uint8',
      layout: 'NHWC',
      shape: [-1, 224, 224, 3],
      mean: [0, 0, 0],
      std: [1, 1, 1],
      normalisedInGraph: { mean: source.card.input.mean, std: source.card.input.std },
      resizeShorterPx: source.card.input.resizeShorterPx,
    });
    expect(fused.card.precision).toBe(source.card.precision);
    expect(fused.warnings).toEqual([]);
  });

  it('prepends Cast, Transpose, Div, Sub, Div and leaves conv1 as it was (normalisation not folded into the weights)', () => {
    const before = decodeModel(source.bytes).graph;
    const after = decodeModel(fused.bytes).graph;
    expect(after.node.slice(0, 5).map((n) => n.opType)).toEqual(['Cast', 'Transpose', 'Div', 'Sub', 'Div']);
    expect(after.node.slice(5)).toEqual(before.node);
    const conv1 = (g: typeof before) => g.initializer.find((t) => t.name === 'conv1.weight')?.rawData;
    expect(conv1(after)).toEqual(conv1(before));
    expect(after.input.map((v) => v.name)).toEqual(['input_rgb']);
  });

  it('fed the crop bytes, matches the original model fed the normalised tensor within 1e-5 on every golden image', async () => {
    const original = await ort.InferenceSession.create(source.bytes);
    const rgb = await ort.InferenceSession.create(fused.bytes);
    try {
      const opts = preprocessOptionsFor(source, 'exact');
      let worst = 0;
      for (const f of manifest.fixtures) {
        const pre = await preprocessImage(await readFile(join(GOLDEN, 'images', f.file)), opts);
        const want = (await original.run({ [source.card.input.name]: new ort.Tensor('float32', pre.input, [1, 3, 224, 224]) }))['logits']?.data as Float32Array;
        const got = (await rgb.run({ input_rgb: new ort.Tensor('uint8', pre.crop, [1, 224, 224, 3]) }))['logits']?.data as Float32Array;
        expect(got).toHaveLength(1000);
        let maxDiff = 0;
        want.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - (got[k] ?? NaN)))));
        expect(maxDiff, f.file).toBeLessThan(1e-5);
        worst = Math.max(worst, maxDiff);
      }
      console.log(`fused vs original, ${manifest.fixtures.length} golden images: max abs logit difference ${worst.toExponential(2)}`);
    } finally {
      await original.release();
      await rgb.release();
    }
  }, 120_000);

  it("fieldeye classify runs the fused model on the crop bytes and prints the original model's logits", async () => {
    const images = manifest.fixtures.map((f) => join(GOLDEN, 'images', f.file));
    const args = ['classify', ...images, '--json', '--logits', '--preprocess', 'exact'];
    const [a, b] = await Promise.all([runCli([...args, '--model', source.path]), runCli([...args, '--model', fusedPath, '--dump-tensor', join(dir, 'dump')])]);
    expect([a.code, b.code, b.stderr]).toEqual([0, 0, '']);
    type Out = { model: { sha256: string }; images: { logits?: number[]; error?: string }[] };
    const [plain, rgb] = [JSON.parse(a.stdout) as Out, JSON.parse(b.stdout) as Out];
    expect(rgb.model.sha256).toBe(fused.sha256);
    expect(rgb.images).toHaveLength(manifest.fixtures.length);
    rgb.images.forEach((img, i) => {
      expect(img.error).toBeUndefined();
      const want = plain.images[i]?.logits ?? [];
      expect(img.logits).toHaveLength(1000);
      const maxDiff = want.reduce((m, v, k) => Math.max(m, Math.abs(v - (img.logits?.[k] ?? NaN))), 0);
      expect(maxDiff).toBeLessThan(1e-5);
    });
    // The fused model's input is the crop: no float tensor is dumped for it.
    expect(readdirSync(join(dir, 'dump')).filter((f) => f.endsWith('.input.f32'))).toEqual([]);
  }, 120_000);

  it('refuses to fuse a fused model, naming it; writes nothing', async () => {
    const again = join(dir, 'again.onnx');
    const r = await runCli(['model', 'fuse-input', '--model', fusedPath, '--out', again]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/resnet18-rgb\.onnx: its input "input_rgb" is already uint8 NHWC; fuse-input takes a float32 NCHW model/);
    expect(readdirSync(dir).filter((f) => f.startsWith('again'))).toEqual([]);
  }, 60_000);

  it('quantize refuses a fused model and says to fuse after quantizing; writes nothing', async () => {
    const out = join(dir, 'q.onnx');
    const r = await runCli(['quantize', '--model', fusedPath, '--calibration', join(GOLDEN, 'images'), '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/input "input_rgb" is uint8 NHWC \(fused input\); quantize the float32 model, then run `fieldeye model fuse-input`/);
    expect(readdirSync(dir).filter((f) => f.startsWith('q.'))).toEqual([]);
  }, 60_000);

  it('the pipeline feeds a fused model the crop bytes: a replay gives the results of the float model', async () => {
    const flight = join(dir, 'flight');
    const sim = await runCli(['simulate', '--out', flight, '--seed', '5', '--area', '60x40']);
    expect(sim.code, sim.stderr).toBe(0);
    const cfg = join(dir, 'exact.json');
    await writeFile(cfg, JSON.stringify({ model: { preprocess: 'exact' }, sinks: { mqtt: { enabled: false } } }));
    const outs: string[] = [];
    for (const [name, model] of [
      ['float', source.path],
      ['fused', fusedPath],
    ] as const) {
      const out = join(dir, `${name}.jsonl`);
      const r = await runCli(['replay', flight, '-c', cfg, '-m', model, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      outs.push(out);
    }
    const [a, b] = await Promise.all(
      outs.map(async (o) =>
        (await readFile(o, 'utf8'))
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { top: Array<{ index: number; score: number }> }),
      ),
    );
    expect(b!.length).toBe(a!.length);
    expect(a!.length).toBeGreaterThan(3);
    // The same crop either way, normalised on the JS side or in the graph: identical classes, scores within float rounding.
    a!.forEach((r, i) => {
      expect(b![i]!.top.map((t) => t.index)).toEqual(r.top.map((t) => t.index));
      r.top.forEach((t, k) => expect(Math.abs(t.score - b![i]!.top[k]!.score)).toBeLessThan(1e-5));
    });
  }, 120_000);

  it('the loader checks the card against the graph: a uint8 card on a float model is refused', async () => {
    const wrongModel = join(dir, 'wrong.onnx');
    await writeFile(wrongModel, source.bytes);
    await writeFile(join(dir, 'wrong.card.json'), JSON.stringify({ ...fused.card, input: { ...fused.card.input, name: 'input' }, sha256: source.sha256 }));
    await expect(loadModel(wrongModel)).rejects.toThrow(/input "input" has ONNX element type 1, but the card .* says uint8/);
  });

  it('the card schema keeps every bundled card valid and only accepts consistent dtype/layout/shape', () => {
    const cards = ['models', 'models/generated'].flatMap((d) =>
      readdirSync(join(REPO_ROOT, d))
        .filter((f) => f.endsWith('.card.json'))
        .map((f) => join(REPO_ROOT, d, f)),
    );
    expect(cards.length).toBeGreaterThan(0);
    for (const f of cards) expect(ModelCardSchema.safeParse(JSON.parse(readFileSync(f, 'utf8'))).success, f).toBe(true);
    const input = fused.card.input;
    const parse = (i: object) => ModelCardSchema.safeParse({ ...fused.card, input: i }).success;
    expect(parse(input)).toBe(true);
    expect(parse({ ...input, layout: 'NCHW' })).toBe(false);
    expect(parse({ ...input, shape: [-1, 3, 224, 224] })).toBe(false);
    expect(parse({ ...input, mean: [0.485, 0.456, 0.406] })).toBe(false);
    const { normalisedInGraph: _dropped, ...withoutInGraph } = input;
    expect(parse(withoutInGraph)).toBe(false);
    expect(parse({ ...source.card.input })).toBe(true);
    expect(parse({ ...source.card.input, layout: 'NHWC' })).toBe(false);
    expect(parse({ ...source.card.input, normalisedInGraph: input.normalisedInGraph })).toBe(false);
  });
});
