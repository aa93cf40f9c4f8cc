// Prints preprocessing and logits parity against torchvision/PyTorch for every golden fixture, both modes.
// Usage: node dist/bench/parity-report.js   (reads test/fixtures/golden; builds the seed-1 model if missing)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSynthModel } from '../src/model/synth-model.js';
import { loadModel } from '../src/vision/model-loader.js';
import { Classifier } from '../src/vision/classifier.js';
import { preprocessImage } from '../src/vision/preprocess.js';
import { preprocessOptionsFor } from '../src/vision/image-classifier.js';
import { generatedModelsDir } from '../src/app/resolve-model.js';
import { packageRoot } from '../src/platform/package-root.js';

interface Fixture {
  file: string;
  cropFile: string;
  logitsFile: string;
  top1Margin: number;
  top5: number[];
}

const golden = join(packageRoot(), 'test/fixtures/golden');
const manifest = JSON.parse(readFileSync(join(golden, 'manifest.json'), 'utf8')) as { model: { seed: number; sha256: string }; fixtures: Fixture[] };
const model = await loadModel(await ensureSynthModel(manifest.model.seed, generatedModelsDir()));
if (model.sha256 !== manifest.model.sha256) throw new Error('golden logits were made with another model: rerun make-golden.py');
const classifier = await Classifier.create({ modelBytes: model.bytes, inputName: 'input', outputName: 'logits', intraOpThreads: 0 });

const argmax = (v: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] as number) > (v[b] as number)) b = i;
  return b;
};
console.log('| fixture | exact crop | exact logits max diff | fast crop max / mean | fast logits max diff | ref top-1 lead | fast top-1 |');
console.log('|---|---|---|---|---|---|---|');
for (const f of manifest.fixtures) {
  const bytes = readFileSync(join(golden, 'images', f.file));
  const refCrop = readFileSync(join(golden, f.cropFile));
  const refBuf = readFileSync(join(golden, f.logitsFile));
  const ref = new Float32Array(refBuf.buffer, refBuf.byteOffset, 1000);
  const row: string[] = [f.file];
  let fastTop1 = '';
  for (const mode of ['exact', 'fast'] as const) {
    const pre = await preprocessImage(bytes, preprocessOptionsFor(model, mode));
    let cropMax = 0;
    let cropSum = 0;
    for (let i = 0; i < refCrop.length; i++) {
      const d = Math.abs((pre.crop[i] as number) - (refCrop[i] as number));
      cropMax = Math.max(cropMax, d);
      cropSum += d;
    }
    const logits = (await classifier.classify(pre.input, [1, 3, 224, 224])).logits;
    let lmax = 0;
    for (let i = 0; i < 1000; i++) lmax = Math.max(lmax, Math.abs((logits[i] as number) - (ref[i] as number)));
    row.push(mode === 'exact' ? (cropMax === 0 ? 'identical' : `max ${cropMax}`) : `${cropMax} / ${(cropSum / refCrop.length).toFixed(3)}`);
    row.push(lmax.toExponential(1));
    if (mode === 'fast') fastTop1 = argmax(logits) === f.top5[0] ? 'same' : 'differs';
  }
  row.push(f.top1Margin.toFixed(2), fastTop1);
  console.log(`| ${row.join(' | ')} |`);
}
await classifier.close();
