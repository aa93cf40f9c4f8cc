// CI test of the real-weights route: models/export-torchvision.py (--no-weights, seeded) → `fieldeye classify` on the golden images → same logits as PyTorch within 1e-4.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const EXPORT = resolve(REPO_ROOT, 'models/export-torchvision.py');
const PARITY = resolve(REPO_ROOT, 'test/fixtures/golden/torch-parity.py');
const GOLDEN = resolve(REPO_ROOT, 'test/fixtures/golden');
const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as { fixtures: { file: string }[] };

interface ClassifyJson {
  model: { sha256: string };
  images: { file: string; logits?: number[]; error?: string }[];
}
interface ParityJson {
  modelSha256: string;
  results: { tensor: string; shape: number[]; logits: number[][] }[];
}

describe('models/export-torchvision.py → fieldeye classify vs PyTorch (golden fixture)', () => {
  let dir: string;
  let modelPath: string;
  let tensors: string;
  let ours: ClassifyJson;
  let theirs: ParityJson;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldeye-export-tv-'));
    modelPath = join(dir, 'resnet18-untrained.onnx');
    tensors = join(dir, 'tensors');
    await run(PYTHON, [EXPORT, '--no-weights', '--seed', '7', '--out', modelPath], { cwd: dir });
    const images = manifest.fixtures.map((f) => join(GOLDEN, 'images', f.file));
    const r = await runCli(['classify', ...images, '--model', modelPath, '--json', '--logits', '--preprocess', 'exact', '--dump-tensor', tensors]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    ours = JSON.parse(r.stdout) as ClassifyJson;
    // PyTorch runs the very tensors fieldeye fed onnxruntime, so a difference is the runtimes', not preprocessing's.
    const tensorArgs = manifest.fixtures.flatMap((f) => ['--tensor', join(tensors, `${basename(f.file, extname(f.file))}.input.f32`)]);
    const out = join(dir, 'torch.json');
    await run(PYTHON, [PARITY, '--model', modelPath, ...tensorArgs, '--out', out], { maxBuffer: 64 * 1024 * 1024 });
    theirs = JSON.parse(await readFile(out, 'utf8')) as ParityJson;
  }, 90_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports the same bytes for the same seed (the test model is reproducible)', async () => {
    const again = join(dir, 'again.onnx');
    await run(PYTHON, [EXPORT, '--no-weights', '--seed', '7', '--out', again], { cwd: dir });
    const other = join(dir, 'other-seed.onnx');
    await run(PYTHON, [EXPORT, '--no-weights', '--seed', '8', '--out', other], { cwd: dir });
    const [a, b, c] = await Promise.all([readFile(modelPath), readFile(again), readFile(other)]);
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(false);
  }, 60_000);

  it('classify and PyTorch ran the same model on every golden image', () => {
    expect(theirs.modelSha256).toBe(ours.model.sha256);
    expect(ours.images).toHaveLength(manifest.fixtures.length);
    expect(theirs.results.map((r) => r.shape)).toEqual(manifest.fixtures.map(() => [1, 3, 224, 224]));
  });

  it('the crops classify fed are torchvision’s (bit-identical to the golden crops)', async () => {
    for (const f of manifest.fixtures) {
      const dumped = await readFile(join(tensors, `${basename(f.file, extname(f.file))}.crop224.rgb`));
      const golden = await readFile(join(GOLDEN, `${f.file}.crop224.rgb`));
      expect(dumped.equals(golden), f.file).toBe(true);
    }
  });

  it.each(manifest.fixtures.map((f, i) => [f.file, i] as const))('%s: logits within 1e-4 of PyTorch', (file, i) => {
    const mine = ours.images[i];
    const ref = theirs.results[i]?.logits[0];
    expect(mine?.error).toBeUndefined();
    expect(mine?.file.endsWith(file)).toBe(true);
    expect(mine?.logits).toHaveLength(1000);
    expect(ref).toHaveLength(1000);
    let maxDiff = 0;
    let maxAbs = 0;
    (ref ?? []).forEach((v, k) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - (mine?.logits?.[k] ?? NaN)));
      maxAbs = Math.max(maxAbs, Math.abs(v));
    });
    console.log(`${file}: max |logit| ${maxAbs.toFixed(3)}, max abs difference fieldeye vs PyTorch ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
