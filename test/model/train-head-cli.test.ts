// fieldeye train-head end to end on the seed-1 ResNet-18: a head fitted on one simulated flight classifies a flight of another seed through replay, quantizes like any model, trains from class folders, and refuses bad input without writing anything.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { cardPathFor, sha256Hex } from '../../src/vision/model-card.js';
import { ModelCardSchema, type ModelCard } from '../../src/vision/model-card.js';
import { summarizeGraph } from '../../src/onnx/onnx-graph.js';
import { encodeModel } from '../../src/onnx/onnx-proto.js';
import { FIELD_ZONES } from '../../src/flight/recording-format.js';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import type { SimulatedFrameTruth } from '../../src/sim/simulator.js';
import { loadModel } from '../../src/vision/model-loader.js';
import { silentLogger } from '../../src/platform/logger.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { runCli, type CliOutcome } from '../support/run-cli.js';
import { tinyModel } from './tiny-model.js';

// Training and test flights: different seeds, so different fields. 200x150 m at 30 m is 84 frames each, at least
// 14 of every class in both (checked below), half of what the demo's 300x200 m takes to simulate, extract and replay.
const TRAIN_SEED = 101;
const TEST_SEED = 202;
const AREA = '200x150';
/** Frames of each class a flight must have for its accuracy to say something about every class. */
const MIN_PER_CLASS = 10;

let work: string;
let backbone: string;
let trainFlight: string;
let testFlight: string;
let headPath: string;
let trained: CliOutcome;
let report: {
  classes: string[];
  heldOut: { accuracy: number; frames: number; confusion: number[][] };
  train: { accuracy: number };
  peakRssMb: number;
  ms: { total: number };
};
let card: ModelCard;
/** Top-1 labels of the FP32 head's replay of the test flight, for the int8 comparison. */
let fp32Top1: string[] = [];
const LONG = 600_000;

async function cli(args: string[]): Promise<CliOutcome> {
  return runCli(args, {}, 600_000);
}

/** Replay `flight` with `model` and score every frame's top-1 against the simulator's ground truth. */
async function accuracyOnFlight(model: string, flight: string, out: string): Promise<{ all: number; pure: number; frames: number; top1: string[] }> {
  const replay = await cli(['replay', flight, '--speed', 'max', '--model', model, '--out', out]);
  expect(replay.code, replay.stderr).toBe(0);
  const results = await readResults(out);
  expect(results.problems).toEqual([]);
  const truth = new Map((await readFlight(flight)).frames.map((f) => [f.name, f.source['simulator'] as SimulatedFrameTruth]));
  let correct = 0;
  let pure = 0;
  let pureCorrect = 0;
  for (const r of results.items) {
    const t = truth.get(r.frame.name);
    expect(t, r.frame.name).toBeDefined();
    const ok = r.top[0]?.label === t!.zone;
    if (ok) correct++;
    // Frames whose model crop sees (almost) one zone only: the boundary frames are the hard ones.
    if (t!.zoneShare >= 0.9) {
      pure++;
      if (ok) pureCorrect++;
    }
  }
  expect(results.items.length).toBe(truth.size);
  return { all: correct / results.items.length, pure: pureCorrect / pure, frames: results.items.length, top1: results.items.map((r) => r.top[0]?.label ?? '') };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fieldeye-train-head-'));
  backbone = await ensureSynthModel(1, join(packageRoot(), 'models', 'generated'));
  trainFlight = join(work, `sim-${TRAIN_SEED}`);
  testFlight = join(work, `sim-${TEST_SEED}`);
  // Both flights at once: each simulator is one process on one core.
  const sims = await Promise.all(
    (
      [
        [TRAIN_SEED, trainFlight],
        [TEST_SEED, testFlight],
      ] as const
    ).map(([seed, dir]) => cli(['simulate', '--out', dir, '--seed', String(seed), '--area', AREA])),
  );
  for (const sim of sims) expect(sim.code, sim.stderr).toBe(0);
  headPath = join(work, 'zones.onnx');
  trained = await cli(['train-head', '--backbone', backbone, '--data', trainFlight, '--out', headPath, '--holdout', '0.2', '--seed', '3', '--json']);
  expect(trained.code, trained.stderr).toBe(0);
  report = JSON.parse(trained.stdout) as typeof report;
  card = ModelCardSchema.parse(JSON.parse(await readFile(cardPathFor(headPath), 'utf8')));
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('fieldeye train-head on a simulated flight', () => {
  it(
    'writes a 5-class model, its labels and a card with the held-out accuracy and confusion matrix',
    async () => {
      expect(report.classes).toEqual([...FIELD_ZONES]);
      expect((await readFile(join(work, 'zones.labels.txt'), 'utf8')).trim().split('\n')).toEqual([...FIELD_ZONES]);
      const loaded = await loadModel(headPath, { logger: silentLogger });
      expect(loaded.labels).toEqual([...FIELD_ZONES]);
      expect(loaded.card.output).toEqual({ name: 'logits', size: 5 });
      expect(summarizeGraph(loaded.bytes).outputs[0]?.shape).toEqual(['N', 5]);
      const backboneCard = (await loadModel(backbone, { logger: silentLogger })).card;
      expect(card.head?.backboneSha256).toBe(backboneCard.sha256);
      expect(card.input).toEqual(backboneCard.input);
      expect(card.head).toMatchObject({
        classes: [...FIELD_ZONES],
        featureTensor: '/Flatten_output_0',
        features: 512,
        seed: 3,
        holdout: 0.2,
        data: { kind: 'flight', source: `sim-${TRAIN_SEED}` },
      });
      expect(card.head?.optimiser.converged).toBe(true);
      // The card's figures are the report's, and the confusion matrix adds up to them.
      const held = card.head!.heldOut!;
      expect(held).toEqual(report.heldOut && { frames: report.heldOut.frames, accuracy: report.heldOut.accuracy, confusion: report.heldOut.confusion });
      expect(held.confusion.flat().reduce((a, b) => a + b, 0)).toBe(held.frames);
      expect(held.confusion.reduce((a, row, i) => a + row[i]!, 0) / held.frames).toBeCloseTo(held.accuracy, 12);
      // Stratified: every class has held-out frames; together with training they are the whole flight.
      for (const row of held.confusion) expect(row.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(held.frames + card.head!.trainFrames).toBe((await readFlight(trainFlight)).frames.length);
      expect(held.accuracy).toBeGreaterThanOrEqual(0.85);
      expect(report.peakRssMb).toBeGreaterThan(0);
    },
    LONG,
  );

  it(
    'classifies a flight of another seed through replay: at least 90 % of all frames right',
    async () => {
      for (const flight of [trainFlight, testFlight]) {
        const zones = (await readFlight(flight)).frames.map((f) => (f.source['simulator'] as SimulatedFrameTruth).zone);
        for (const zone of FIELD_ZONES) expect(zones.filter((z) => z === zone).length, `${flight}: ${zone}`).toBeGreaterThanOrEqual(MIN_PER_CLASS);
      }
      const score = await accuracyOnFlight(headPath, testFlight, join(work, 'fp32.jsonl'));
      fp32Top1 = score.top1;
      console.log(
        `train-head: unseen seed ${TEST_SEED}, FP32: ${(score.all * 100).toFixed(1)} % of ${score.frames} frames, ${(score.pure * 100).toFixed(1)} % of single-zone frames`,
      );
      expect(score.all).toBeGreaterThanOrEqual(0.9);
      expect(score.pure).toBeGreaterThanOrEqual(0.95);
    },
    LONG,
  );

  it(
    'fieldeye quantize works on the new model; the int8 model keeps the head card and classifies the unseen flight as well',
    async () => {
      // Every other frame of the training flight: 32 calibrate, the rest are quantize's own held-out set.
      const calibration = join(work, 'calibration');
      await mkdir(calibration);
      const frames = (await readFlight(trainFlight)).frames.filter((_, i) => i % 2 === 0);
      for (const f of frames) await copyFile(join(trainFlight, f.file), join(calibration, f.name));
      const int8Path = join(work, 'zones-int8.onnx');
      const q = await cli(['quantize', '--model', headPath, '--calibration', calibration, '--frames', '32', '--out', int8Path, '--json']);
      expect(q.code, q.stderr).toBe(0);
      const loaded = await loadModel(int8Path, { logger: silentLogger });
      expect(loaded.card.precision).toBe('int8');
      expect(loaded.labels).toEqual([...FIELD_ZONES]);
      expect(loaded.card.head).toEqual(card.head);
      expect(loaded.card.quantization?.calibration.frames).toBe(32);
      const int8 = await accuracyOnFlight(int8Path, testFlight, join(work, 'int8.jsonl'));
      expect(fp32Top1).toHaveLength(int8.top1.length);
      const agreement = int8.top1.filter((l, i) => l === fp32Top1[i]).length / int8.top1.length;
      console.log(`train-head: unseen seed ${TEST_SEED}, int8: ${(int8.all * 100).toFixed(1)} % (top-1 agreement with FP32 ${(agreement * 100).toFixed(1)} %)`);
      expect(int8.all).toBeGreaterThanOrEqual(0.9);
      expect(agreement).toBeGreaterThanOrEqual(0.95);
    },
    LONG,
  );

  it(
    'trains from a folder with one subfolder per class and prints the report',
    async () => {
      // Six single-zone frames per class from the training flight, copied under their class's name.
      const dir = join(work, 'classes');
      const flight = await readFlight(trainFlight);
      for (const zone of FIELD_ZONES) {
        await mkdir(join(dir, zone), { recursive: true });
        const mine = flight.frames
          .filter((f) => (f.source['simulator'] as SimulatedFrameTruth).zone === zone)
          .sort((a, b) => (b.source['simulator'] as SimulatedFrameTruth).zoneShare - (a.source['simulator'] as SimulatedFrameTruth).zoneShare);
        for (const f of mine.slice(0, 6)) await copyFile(join(trainFlight, f.file), join(dir, zone, f.name));
      }
      const out = join(work, 'from-folder.onnx');
      const run = await cli(['train-head', '--backbone', backbone, '--data', dir, '--out', out, '--holdout', '0.34']);
      expect(run.code, run.stderr).toBe(0);
      const sorted = [...FIELD_ZONES].sort();
      expect(run.stdout).toMatch(/^trained a 5-class head on /);
      expect(run.stdout).toContain('data: folder classes, 30 frames; 20 train, 10 held out (seed 1)');
      expect(run.stdout).toMatch(/class\s+frames\s+precision\s+recall/);
      expect(run.stdout).toContain('confusion (rows true, columns predicted');
      expect(run.stdout).toMatch(/accuracy \d+\.\d % \(\d+ of 10 frames\)/);
      expect(run.stdout).toMatch(/time \d+\.\d s, peak RSS \d+ MB/);
      const loaded = await loadModel(out, { logger: silentLogger });
      expect(loaded.labels).toEqual(sorted);
      expect(loaded.card.head?.data).toMatchObject({ kind: 'folder', source: 'classes', frames: 30 });
    },
    LONG,
  );
});

describe('fieldeye train-head refuses bad input, naming it, and writes nothing', () => {
  async function refused(args: string[], message: RegExp): Promise<void> {
    const out = join(work, `refused-${Math.random().toString(36).slice(2)}.onnx`);
    const run = await cli(['train-head', ...args, '--out', out]);
    // 78 (EX_CONFIG) when the model given cannot be used, 1 for the other refusals; the message says which.
    expect([1, 78], run.stdout).toContain(run.code);
    expect(run.stderr).toMatch(message);
    for (const f of [out, cardPathFor(out), out.replace(/\.onnx$/, '.labels.txt')]) expect(existsSync(f), f).toBe(false);
  }

  it(
    'a backbone that is not an ONNX file',
    async () => {
      const bogus = join(work, 'bogus.onnx');
      await writeFile(bogus, 'this is not a model\n');
      await refused(['--backbone', bogus, '--data', trainFlight], /^fieldeye: .*bogus\.onnx is not an ONNX model \(.*\); expected an ONNX ModelProto file/);
    },
    LONG,
  );

  it(
    'a backbone whose output does not come from a Gemm on pooled features',
    async () => {
      const model = tinyModel({ classes: 3 });
      const g = model.graph;
      g.node = g.node.filter((n) => n.name !== 'fc');
      g.node.push({ name: 'mm', opType: 'MatMul', input: ['flat', 'fc.wt'], output: ['y'], attribute: [] });
      g.initializer = g.initializer.filter((t) => t.name !== 'fc.weight' && t.name !== 'fc.bias');
      g.initializer.push({ ...g.initializer[0]!, name: 'fc.wt', dims: [4, 3], rawData: new Uint8Array(48) });
      const bytes = encodeModel(model);
      const path = join(work, 'matmul-head.onnx');
      await writeFile(path, bytes);
      await writeFile(join(work, 'matmul-head.labels.txt'), 'a\nb\nc\n');
      const input = { name: 'x', dtype: 'float32', layout: 'NCHW', shape: [-1, 3, 8, 8], mean: [0, 0, 0], std: [1, 1, 1], resizeShorterPx: 8 };
      const c = {
        cardVersion: 1,
        name: 'matmul-head',
        architecture: 'tiny',
        input,
        output: { name: 'y', size: 3 },
        labelsFile: 'matmul-head.labels.txt',
        precision: 'fp32',
        sha256: sha256Hex(bytes),
        provenance: 'test',
        createdAt: new Date(0).toISOString(),
      };
      await writeFile(cardPathFor(path), JSON.stringify(ModelCardSchema.parse(c)));
      await refused(
        ['--backbone', path, '--data', trainFlight],
        /--backbone .*matmul-head\.onnx: its output "y" comes from MatMul "mm", not from a Gemm; train-head needs a classifier whose last layer is a fully connected Gemm/,
      );
    },
    LONG,
  );

  it(
    'a folder with one class, or with an empty class',
    async () => {
      const one = join(work, 'one-class');
      await mkdir(join(one, 'weeds'), { recursive: true });
      await copyFile(join(trainFlight, 'frames', '000000.jpg'), join(one, 'weeds', 'a.jpg'));
      await refused(
        ['--backbone', backbone, '--data', one],
        /--data .*one-class: has only one class subfolder \("weeds"\); a classifier needs at least 2 classes: put the frames of each class in its own subfolder/,
      );
      const empty = join(work, 'empty-class');
      await mkdir(join(empty, 'weeds'), { recursive: true });
      await mkdir(join(empty, 'water'), { recursive: true });
      await copyFile(join(trainFlight, 'frames', '000000.jpg'), join(empty, 'weeds', 'a.jpg'));
      await refused(
        ['--backbone', backbone, '--data', empty],
        /--data .*empty-class: class folder "water" has no images \(.jpg, .*\); add labelled frames of that class or remove the folder/,
      );
    },
    LONG,
  );

  it(
    'a flight without ground truth (imported photos)',
    async () => {
      const imported = join(work, 'imported');
      const imp = await cli(['import', 'images', join(packageRoot(), 'test', 'fixtures', 'sample-flight'), '--out', imported]);
      expect(imp.code, imp.stderr).toBe(0);
      await refused(
        ['--backbone', backbone, '--data', imported],
        /--data .*imported: a flight without ground truth: none of its 12 frames has source\.simulator\.zone in frames\.jsonl; train on a flight written by `fieldeye simulate`/,
      );
    },
    LONG,
  );

  it(
    'a hold-out share of 1',
    async () => {
      await refused(
        ['--backbone', backbone, '--data', trainFlight, '--holdout', '1'],
        /--holdout: expected a share from 0 up to \(not including\) 1, e\.g\. 0\.2, received 1/,
      );
    },
    LONG,
  );
});
