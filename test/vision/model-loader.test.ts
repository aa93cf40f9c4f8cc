// loadModel: a model with its card and labels loads; every card mismatch, a missing or non-ONNX file, is a clear error; no card means ImageNet defaults plus a warning.
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { cardPathFor, sha256Hex } from '../../src/vision/model-card.js';
import { encodeModel } from '../../src/onnx/onnx-proto.js';
import type { ModelCard } from '../../src/vision/model-card.js';
import { packageRoot } from '../../src/platform/package-root.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ModelLoadError, loadModel } from '../../src/vision/model-loader.js';
import { tinyModel } from '../model/tiny-model.js';

let dir: string;
let synthPath: string;
let synthCard: ModelCard;
let caseNo = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-loader-'));
  synthPath = await ensureSynthModel(1, join(packageRoot(), 'models', 'generated'));
  synthCard = JSON.parse(await readFile(cardPathFor(synthPath), 'utf8')) as ModelCard;
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The seed-1 model (symlinked, it is 47 MB) in a fresh folder, with `card` next to it (or none). */
async function synthWith(card: ModelCard | null, extra: Record<string, string> = {}): Promise<{ model: string; card: string }> {
  const sub = join(dir, `case${++caseNo}`);
  await rm(sub, { recursive: true, force: true });
  await mkdir(sub);
  const model = join(sub, 'net.onnx');
  await symlink(synthPath, model);
  const cardFile = join(sub, 'net.card.json');
  if (card) await writeFile(cardFile, JSON.stringify(card));
  for (const [name, text] of Object.entries(extra)) await writeFile(join(sub, name), text);
  return { model, card: cardFile };
}

async function loadError(path: string): Promise<ModelLoadError> {
  const err = await loadModel(path, { logger: silentLogger }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  return err as ModelLoadError;
}

describe('loadModel', () => {
  it('loads a model with its card and the bundled labels', async () => {
    const m = await loadModel(synthPath, { logger: silentLogger });
    expect(m.card).toEqual(synthCard);
    expect(m.sha256).toBe(synthCard.sha256);
    expect(m.bytes.length).toBeGreaterThan(40_000_000);
    expect(m.labels).toHaveLength(1000);
    expect(m.labels[0]).toBe('tench');
    expect(m.labels[999]).toBe('toilet tissue');
    expect(m.warnings).toEqual([]);
    expect(m.cardPath).toBe(cardPathFor(synthPath));
    expect(m.path).toBe(synthPath);
  });

  it('explains a missing model file and how to make one', async () => {
    const missing = join(dir, 'nope', 'resnet.onnx');
    const err = await loadError(missing);
    expect(err.message).toBe(
      `model file not found: ${missing}. Create it with \`fieldeye model synth --seed 1 --out ${missing}\` (synthetic, untrained weights) or export real ImageNet weights with models/export-torchvision.py`,
    );
    expect(err.modelPath).toBe(missing);
  });

  it('refuses a file that is not ONNX', async () => {
    const text = join(dir, 'notes.onnx');
    await writeFile(text, 'this is a text file, not a model\n');
    expect((await loadError(text)).message).toBe(
      `${text} is not an ONNX model (not an ONNX protobuf: invalid wire type 4 at offset 1); expected an ONNX ModelProto file as written by \`fieldeye model synth\` or models/export-torchvision.py`,
    );
    const empty = join(dir, 'empty.onnx');
    await writeFile(empty, '');
    expect((await loadError(empty)).message).toMatch(/^\S+empty\.onnx is not an ONNX model \(the file is empty\)/);
  });

  it('refuses a truncated model', async () => {
    const truncated = join(dir, 'truncated.onnx');
    await writeFile(truncated, (await readFile(synthPath)).subarray(0, 100_000));
    expect((await loadError(truncated)).message).toMatch(/truncated\.onnx is not an ONNX model \(not an ONNX protobuf: index out of range/);
  });

  it('refuses a card whose sha256 is not the file', async () => {
    const { model, card } = await synthWith({ ...synthCard, sha256: '0'.repeat(64) });
    const err = await loadError(model);
    expect(err.message).toBe(
      `model card ${card} does not match ${model}: the card expects sha256 ${'0'.repeat(64)}, the file has ${synthCard.sha256}. The model changed after its card was written: restore the model, or regenerate model and card together (\`fieldeye model synth\`, models/export-torchvision.py)`,
    );
    expect(err.cardPath).toBe(card);
  });

  it('refuses a card whose input shape differs from the graph', async () => {
    const { model, card } = await synthWith({ ...synthCard, input: { ...synthCard.input, shape: [-1, 3, 256, 256] } });
    expect((await loadError(model)).message).toBe(
      `model ${model}: input "input" is [N, 3, 224, 224] in the graph, but the card ${card} says [-1, 3, 256, 256] (N, C, H, W); fix input.shape in the card or use the model the card was written for`,
    );
  });

  it('refuses a card whose input or output name is not in the graph', async () => {
    const a = await synthWith({ ...synthCard, input: { ...synthCard.input, name: 'images' } });
    expect((await loadError(a.model)).message).toBe(
      `model ${a.model} has no input named "images" (card ${a.card}, input.name); the graph's inputs are "input": fix input.name in the card`,
    );
    const b = await synthWith({ ...synthCard, output: { name: 'probs', size: 1000 } });
    expect((await loadError(b.model)).message).toBe(
      `model ${b.model} has no output named "probs" (card ${b.card}, output.name); the graph's outputs are "logits": fix output.name in the card`,
    );
  });

  it('refuses a card whose output size differs from the graph', async () => {
    const { model, card } = await synthWith({ ...synthCard, output: { name: 'logits', size: 999 } });
    expect((await loadError(model)).message).toBe(
      `model ${model}: output "logits" has 1000 classes in the graph, but the card ${card} says output.size 999; fix output.size in the card`,
    );
  });

  it('refuses labels whose count is not the output size', async () => {
    const labels = Array.from({ length: 999 }, (_, i) => `class ${i}`).join('\n') + '\n';
    const { model, card } = await synthWith({ ...synthCard, labelsFile: 'crops.txt' }, { 'crops.txt': labels });
    expect((await loadError(model)).message).toBe(
      `labels file ${join(dir, `case${caseNo}`, 'crops.txt')} has 999 labels, but model ${model} outputs 1000 classes; use the labels file that belongs to this model (card ${card}, labelsFile)`,
    );
  });

  it('refuses a labels file that does not exist', async () => {
    const { model, card } = await synthWith({ ...synthCard, labelsFile: 'missing-labels.txt' });
    const err = await loadError(model);
    expect(err.message).toMatch(
      new RegExp(
        `^labels file "missing-labels.txt" named by the card ${card.replace(/[.]/g, '\\.')} was not found \\(looked for .*missing-labels\\.txt and .*models/missing-labels\\.txt\\); put it next to the card or fix labelsFile$`,
      ),
    );
  });

  it('refuses a card that is not JSON or breaks the schema', async () => {
    const { model, card } = await synthWith(null, { 'net.card.json': '{ "cardVersion": 1,' });
    expect((await loadError(model)).message).toMatch(
      new RegExp(
        `^model card ${card.replace(/[.]/g, '\\.')} is not valid JSON \\(.+\\); fix it, or delete it to load ${model.replace(/[.]/g, '\\.')} with ImageNet defaults$`,
      ),
    );
    const bad = await synthWith({ ...synthCard, precision: 'fp16' } as unknown as ModelCard);
    expect((await loadError(bad.model)).message).toBe(
      `model card ${bad.card} is invalid: precision: Invalid option: expected one of "fp32"|"int8"; the format is ModelCardSchema in src/vision/model-card.ts`,
    );
  });

  it('refuses a card whose precision contradicts the graph', async () => {
    const { model, card } = await synthWith({ ...synthCard, precision: 'int8' });
    expect((await loadError(model)).message).toBe(
      `model ${model} has no quantized operators, but the card ${card} says precision "int8"; set precision to "fp32" or load the quantized model`,
    );
  });

  it('loads a model without a card with ImageNet defaults and a warning', async () => {
    const { model, card } = await synthWith(null);
    const m = await loadModel(model, { logger: silentLogger });
    expect(m.cardPath).toBeNull();
    expect(m.labels).toHaveLength(1000);
    expect(m.sha256).toBe(synthCard.sha256);
    expect(m.card).toMatchObject({
      input: { name: 'input', shape: [-1, 3, 224, 224], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resizeShorterPx: 256 },
      output: { name: 'logits', size: 1000 },
      labelsFile: 'imagenet-labels.txt',
      precision: 'fp32',
      sha256: synthCard.sha256,
    });
    expect(m.warnings).toEqual([
      `no model card next to ${model} (looked for ${card}); assuming an ImageNet classifier: input "input" float32 NCHW 3x224x224, ImageNet mean/std, resize 256, 1000 bundled ImageNet labels, fp32. Write a card (see models/README.md) so the model is checked at load`,
    ]);
  });

  it('refuses a card-less model that is not an ImageNet-shaped classifier', async () => {
    const small = join(dir, 'tiny.onnx');
    await writeFile(small, encodeModel(tinyModel({ size: 32, classes: 10 })));
    expect((await loadError(small)).message).toBe(
      `model ${small} has no card (${join(dir, 'tiny.card.json')}) and its input "x" is [N, 3, 32, 32] of ONNX type 1, not the ImageNet default float32 [N, 3, 224, 224]; write a card for it (see models/README.md)`,
    );
    const tiny224 = join(dir, 'tiny224.onnx');
    await writeFile(tiny224, encodeModel(tinyModel({ size: 224, classes: 10 })));
    expect((await loadError(tiny224)).message).toBe(
      `model ${tiny224} has no card (${join(dir, 'tiny224.card.json')}) and its output "y" has 10 classes, not ImageNet's 1000; write a card with output.size and labelsFile (see models/README.md)`,
    );
  });

  it('loads a small model whose card and labels agree with it', async () => {
    const sub = await mkdtemp(join(dir, 'tiny-ok-'));
    const model = join(sub, 'tiny.onnx');
    const bytes = encodeModel(tinyModel({ size: 32, classes: 3 }));
    await writeFile(model, bytes);
    const card: ModelCard = {
      ...synthCard,
      name: 'tiny',
      input: { ...synthCard.input, name: 'x', shape: [-1, 3, 32, 32] },
      output: { name: 'y', size: 3 },
      labelsFile: 'labels.txt',
      sha256: sha256Hex(bytes),
    };
    await writeFile(join(sub, 'tiny.card.json'), JSON.stringify(card));
    await writeFile(join(sub, 'labels.txt'), 'wheat\nbarley\nweeds\n');
    const m = await loadModel(model, { logger: silentLogger });
    expect(m.labels).toEqual(['wheat', 'barley', 'weeds']);
    expect(m.card.name).toBe('tiny');
    expect(m.warnings).toEqual([]);
  });

  it('works on a copy as well as a symlink (the card is found next to the path given)', async () => {
    const sub = await mkdtemp(join(dir, 'copy-'));
    const model = join(sub, 'copy.onnx');
    await copyFile(synthPath, model);
    await copyFile(cardPathFor(synthPath), join(sub, 'copy.card.json'));
    const m = await loadModel(model, { logger: silentLogger });
    expect(m.cardPath).toBe(join(sub, 'copy.card.json'));
  });
});
