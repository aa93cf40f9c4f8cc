// fieldeye quantize refuses bad input with one clear line and writes nothing: not ONNX, unknown ops, no usable images, too many --frames, no held-out frames.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { decodeModel, encodeModel } from '../../src/onnx/onnx-proto.js';
import { packageRoot } from '../../src/platform/package-root.js';

const run = promisify(execFile);
const root = packageRoot();
const calibration = join(root, 'test', 'fixtures', 'field-tiles', 'calibration');
let dir: string;
let fp32Path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-quantize-bad-'));
  fp32Path = await ensureSynthModel(1, join(root, 'models', 'generated'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI into a fresh output folder; returns stderr and what the folder holds afterwards. */
async function quantizeFails(args: string[]): Promise<{ stderr: string; written: string[] }> {
  const out = await mkdtemp(join(dir, 'out-'));
  const result = await run(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'quantize', '--out', join(out, 'q.onnx'), ...args]).then(
    () => null,
    (err: { code: number; stderr: string }) => err,
  );
  // 78 (EX_CONFIG) for a model that cannot be used as given, 1 for the rest; the message is what each case checks.
  expect([1, 78]).toContain(result?.code);
  return { stderr: result?.stderr ?? '', written: await readdir(out) };
}

describe('fieldeye quantize: bad input', () => {
  it('a file that is not ONNX', async () => {
    const notOnnx = join(dir, 'readme.onnx');
    await copyFile(join(root, 'README.md'), notOnnx);
    const r = await quantizeFails(['--model', notOnnx, '--calibration', calibration]);
    expect(r.stderr).toMatch(/readme\.onnx is not an ONNX model/);
    expect(r.written).toEqual([]);
  });

  it('ops the quantizer does not know, named', async () => {
    const m = decodeModel(await readFile(fp32Path));
    const relu = m.graph.node.find((n) => n.opType === 'Relu');
    if (relu) relu.opType = 'Sigmoid';
    const odd = join(dir, 'sigmoid.onnx');
    await writeFile(odd, encodeModel(m));
    const r = await quantizeFails(['--model', odd, '--calibration', calibration]);
    expect(r.stderr).toMatch(/does not know these ops: Sigmoid \(1 node, e\.g\. "\/relu\/Relu"\)/);
    expect(r.written).toEqual([]);
  });

  it('a calibration folder with no usable images', async () => {
    const junk = join(dir, 'junk');
    await mkdir(junk);
    await writeFile(join(junk, 'a.jpg'), 'not a jpeg');
    await writeFile(join(junk, 'b.jpg'), '');
    await writeFile(join(junk, 'notes.txt'), 'frames go here');
    const r = await quantizeFails(['--model', fp32Path, '--calibration', junk, '--eval', calibration]);
    expect(r.stderr).toMatch(/--calibration: none of the 2 selected images of .*junk could be decoded/);
    expect(r.written).toEqual([]);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    expect((await quantizeFails(['--model', fp32Path, '--calibration', empty])).stderr).toMatch(/empty has no images/);
  });

  it('--frames above what exists, and no frames left for the accuracy report', async () => {
    const r = await quantizeFails(['--model', fp32Path, '--calibration', calibration, '--frames', '65']);
    expect(r.stderr).toMatch(/--frames 65: .*calibration has only 64 images; pass --frames 64 or fewer/);
    expect(r.written).toEqual([]);
    const all = await quantizeFails(['--model', fp32Path, '--calibration', calibration, '--frames', '64']);
    expect(all.stderr).toMatch(/no held-out frames for the accuracy report/);
  });
});
