// arm64 proof: the compiled classifier under qemu-user as on a Raspberry Pi 4 (Cortex-A72; arm64 Node, onnxruntime-node and sharp) gives the x86 results: FP32 logits within 1e-4, int8 the same top-5; and the default int8 model (U8S8) fuses fully into QLinear kernels there and on x86.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { prepareArm64Emulation, type Arm64Emulation } from '../support/arm64-sysroot.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

/** A wide JPEG, an EXIF-rotated JPEG and a palette PNG with transparency: the decode paths a field camera or an upload takes. */
const IMAGES = ['brighton_0024_1000x562.jpg', 'exif_orient6_640x480.jpg', 'palette_trns_320x240.png'].map((f) =>
  join(REPO_ROOT, 'test', 'fixtures', 'golden', 'images', f),
);
const TILES = join(REPO_ROOT, 'test', 'fixtures', 'field-tiles');
/** Both sides alike; about what a Pi 4 gives the classifier next to capture and MQTT. */
const THREADS = '2';

interface Classified {
  images: Array<{ file: string; sha256: string; top?: Array<{ index: number }>; logits?: number[]; error?: string }>;
}

let work: string;
let arm64: Arm64Emulation;
let fp32Model: string;
let int8Model: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-arm64-'));
  // The first run fetches the arm64 Node and sharp from the npm registry into .cache/arm64; later runs reuse them.
  arm64 = await prepareArm64Emulation(work);
  fp32Model = await ensureSynthModel(1, generatedModelsDir());
  // A quick quantization with the defaults (U8S8, the flavour meant for both CPUs): 8 calibration frames, a 4-frame accuracy report.
  const evalDir = join(work, 'eval');
  mkdirSync(evalDir);
  for (const f of readdirSync(join(TILES, 'held-out')).sort().slice(0, 4)) copyFileSync(join(TILES, 'held-out', f), join(evalDir, f));
  int8Model = join(work, 'resnet18-seed1-int8.onnx');
  const q = await runCli([
    'quantize',
    '--model',
    fp32Model,
    '--calibration',
    join(TILES, 'calibration'),
    '--frames',
    '8',
    '--eval',
    evalDir,
    '--out',
    int8Model,
  ]);
  if (q.code !== 0) throw new Error(`fieldeye quantize failed (exit ${q.code}): ${q.stderr}`);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The same `fieldeye classify --json --logits` on x86 (this Node) and on arm64 under qemu (the arm64 Node on a copy of dist/). */
async function classifyBoth(model: string): Promise<{ x86: Classified; arm64: Classified }> {
  const args = ['classify', '--json', '--logits', '--top', '5', '--threads', THREADS, '--model', model, ...IMAGES];
  const x86 = await runCli(args);
  expect(x86.code, x86.stderr).toBe(0);
  const emulated = await arm64.node(['dist/src/cli.js', ...args]);
  expect(emulated.code, emulated.stderr).toBe(0);
  return { x86: JSON.parse(x86.stdout) as Classified, arm64: JSON.parse(emulated.stdout) as Classified };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - (b[i] ?? NaN))), 0);
}

type Verdict = Classified['images'][number];

/** x86 and arm64 verdicts image by image; both sides must have classified every image. */
function pairs(r: { x86: Classified; arm64: Classified }): Array<[Verdict, Verdict]> {
  expect(r.x86.images.map((i) => i.file)).toEqual(IMAGES);
  expect(r.arm64.images.map((i) => i.file)).toEqual(IMAGES);
  return r.x86.images.map((x, i) => {
    const a = r.arm64.images[i] as Verdict;
    expect(x.error, x.file).toBeUndefined();
    expect(a.error, a.file).toBeUndefined();
    return [x, a];
  });
}

const top5 = (img: Verdict): number[] => (img.top ?? []).map((t) => t.index);

describe('the classifier on arm64 (qemu-user, cortex-a72) against x86', () => {
  it('runs the arm64 Node of the host version with the arm64 sharp, and sees a Pi 4 in /proc/cpuinfo', async () => {
    const probe = await arm64.node([
      '-e',
      "const s = require('sharp'); const m = /^Model\\s*:\\s*(.*)$/m.exec(require('fs').readFileSync('/proc/cpuinfo', 'utf8'));" +
        'console.log(JSON.stringify({ arch: process.arch, version: process.version, sharp: s.versions.sharp, model: m && m[1] }))',
    ]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual({ arch: 'arm64', version: process.version, sharp: arm64.versions.sharp, model: 'Raspberry Pi 4 Model B Rev 1.1' });
  }, 300_000);

  it('FP32: every logit within 1e-4 of x86, same top-5', async () => {
    const r = await classifyBoth(fp32Model);
    const diffs = pairs(r).map(([x, a]) => {
      expect(a.sha256).toBe(x.sha256);
      expect(x.logits).toHaveLength(1000);
      const diff = maxAbsDiff(a.logits ?? [], x.logits ?? []);
      expect(diff, x.file).toBeLessThanOrEqual(1e-4);
      expect(top5(a), x.file).toEqual(top5(x));
      return diff;
    });
    console.info(`arm64 vs x86, FP32: largest |logit difference| per image ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
  }, 600_000);

  it('int8 (U8S8, the default): the same top-5 in the same order as x86, though the int8 kernels differ', async () => {
    const r = await classifyBoth(int8Model);
    const diffs = pairs(r).map(([x, a]) => {
      expect(top5(x)).toHaveLength(5);
      expect(top5(a), x.file).toEqual(top5(x));
      return maxAbsDiff(a.logits ?? [], x.logits ?? []);
    });
    console.info(`arm64 vs x86, int8: same top-5; largest |logit difference| per image ${diffs.map((d) => d.toFixed(3)).join(', ')}`);
  }, 600_000);

  it('int8 (U8S8, the default) fuses completely on arm64 and on x86: every Conv, Add and the FC run as QLinear kernels on both', async () => {
    const emulated = await arm64.node(['dist/src/cli.js', 'model', 'ops', '--json', int8Model]);
    expect(emulated.code, emulated.stderr).toBe(0);
    const arm = JSON.parse(emulated.stdout) as { arch: string; counts: Record<string, number>; unfused: unknown[] };
    expect(arm.arch).toBe('arm64');
    expect(arm.counts['QLinearConv']).toBe(20);
    expect(arm.counts['QLinearAdd']).toBe(8);
    expect(arm.counts['QGemm'] ?? arm.counts['QLinearMatMul']).toBe(1);
    for (const float of ['Conv', 'FusedConv', 'Add', 'Gemm']) expect(arm.counts[float] ?? 0, float).toBe(0);
    expect(arm.unfused).toEqual([]);
    const x86 = await runCli(['model', 'ops', '--json', int8Model]);
    expect(x86.code, x86.stderr).toBe(0);
    const host = JSON.parse(x86.stdout) as { unfused: unknown[]; counts: Record<string, number> };
    for (const float of ['Conv', 'FusedConv', 'Add', 'Gemm']) expect(host.counts[float] ?? 0, `x86 ${float}`).toBe(0);
    expect(host.unfused).toEqual([]);
    console.info(`U8S8 optimized graph: arm64 ${JSON.stringify(arm.counts)}; x86 ${JSON.stringify(host.counts)}`);
  }, 600_000);
});
