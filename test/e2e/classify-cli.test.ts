// `fieldeye classify` through the compiled CLI: JSON shape, logits, dumped tensors equal to torchvision's
// crop in exact mode, per-image errors that do not stop the others, and --help on every command.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const GOLDEN = join(REPO_ROOT, 'test/fixtures/golden');
const IMAGE = join(GOLDEN, 'images/seneca_0448_800x600.jpg');

interface ClassifyJson {
  images: Array<{ file: string; sha256: string; top?: Array<{ index: number; label: string; score: number }>; logits?: number[]; error?: string }>;
}

describe('fieldeye classify', () => {
  it('--json --logits --dump-tensor: the documented document and files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-classify-'));
    const run = await runCli(['classify', IMAGE, '--json', '--logits', '--top', '3', '--preprocess', 'exact', '--dump-tensor', dir]);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as ClassifyJson;
    const img = doc.images[0];
    expect(img?.file).toBe(IMAGE);
    expect(img?.sha256).toBe(createHash('sha256').update(readFileSync(IMAGE)).digest('hex'));
    expect(img?.top).toHaveLength(3);
    expect(img?.logits).toHaveLength(1000);
    // The top-1 is the argmax of the printed logits.
    const logits = img?.logits ?? [];
    expect(img?.top?.[0]?.index).toBe(logits.indexOf(Math.max(...logits)));

    const crop = readFileSync(join(dir, 'seneca_0448_800x600.crop224.rgb'));
    expect(crop.equals(readFileSync(join(GOLDEN, 'seneca_0448_800x600.jpg.crop224.rgb')))).toBe(true);
    const tensor = readFileSync(join(dir, 'seneca_0448_800x600.input.f32'));
    expect(tensor.byteLength).toBe(3 * 224 * 224 * 4);
    const manifest = JSON.parse(readFileSync(join(GOLDEN, 'manifest.json'), 'utf8')) as { fixtures: Array<{ file: string; tensorSha256: string }> };
    const ref = manifest.fixtures.find((f) => f.file === 'seneca_0448_800x600.jpg');
    expect(createHash('sha256').update(tensor).digest('hex')).toBe(ref?.tensorSha256);
  });

  it('names the model, and says once, plainly, that the seeded one is not trained (in the human output, not in --json)', async () => {
    const run = await runCli(['classify', IMAGE, IMAGE]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe('fieldeye: classified with resnet18-synth-seed1 (fp32, 1000 classes)');
    expect(lines.filter((l) => l.includes('NOT TRAINED'))).toHaveLength(1);
    expect(lines[1]).toMatch(/^fieldeye: note: model resnet18-synth-seed1 is NOT TRAINED .*its labels mean nothing.*fieldeye model demo --out FILE\.onnx/);
    const json = await runCli(['classify', IMAGE, '--json']);
    expect(json.stderr).toBe('');
  });

  it('a bad image is reported in place, the others are still classified, exit 1', async () => {
    const bad = join(REPO_ROOT, 'test/fixtures/bad-frames/not-a-jpeg.jpg');
    const run = await runCli(['classify', bad, IMAGE, '--json']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as ClassifyJson;
    expect(doc.images[0]?.error).toMatch(/^frame is not a decodable image/);
    expect(doc.images[1]?.top).toHaveLength(5);
  });

  it('a missing model says how to make one', async () => {
    const run = await runCli(['classify', IMAGE, '--model', '/nonexistent/m.onnx']);
    // EX_CONFIG: a missing model is fixed by the operator, not by running again.
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^fieldeye: model file not found: \/nonexistent\/m\.onnx\. Create it with `fieldeye model synth/);
  });

  it.each([
    [[]],
    [['run']],
    [['replay']],
    [['diff']],
    [['export']],
    [['dashboard']],
    [['import']],
    [['import', 'images']],
    [['import', 'video']],
    [['simulate']],
    [['classify']],
    [['quantize']],
    [['train-head']],
    [['bench']],
    [['camera']],
    [['camera', 'check']],
    [['preflight']],
    [['model']],
    [['model', 'synth']],
    [['model', 'fuse-input']],
  ])('%j --help', async (cmd) => {
    const run = await runCli([...cmd, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: fieldeye/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${version}\n`);
    }
  });
});
