// `fieldeye classify IMAGE...`: the first thing a new user tries; same model loading, preprocessing and
// worker-thread classifier as the flight pipeline.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { resolveModel } from '../app/resolve-model.js';
import { describeModel, untrainedNotice } from '../vision/model-description.js';
import { ImageClassifier } from '../vision/image-classifier.js';
import type { PreprocessMode } from '../vision/preprocess-types.js';
import type { TopClass } from '../vision/top-k.js';

export interface ClassifyCommandOptions {
  model: string;
  synthSeed: number;
  top: number;
  preprocess: PreprocessMode;
  json: boolean;
  logits: boolean;
  dumpTensor?: string;
  threads: number;
}

export interface ImageVerdict {
  file: string;
  sha256: string;
  top?: TopClass[];
  logits?: number[];
  error?: string;
}

/** Returns the exit code: 0 when every image was classified, 1 otherwise. */
export async function classifyCommand(files: string[], opts: ClassifyCommandOptions, logger: Logger): Promise<number> {
  const model = await resolveModel(opts.model, opts.synthSeed, logger.child({ stage: 'model' }));
  const classifier = await ImageClassifier.open(model, { mode: opts.preprocess, intraOpThreads: opts.threads });
  // A fused-input model (`fieldeye model fuse-input`) normalises in its graph: it gets the crop's bytes as they are.
  const fused = model.card.input.dtype === 'uint8';
  const images: ImageVerdict[] = [];
  try {
    if (opts.dumpTensor) await mkdir(opts.dumpTensor, { recursive: true });
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        images.push({ file, sha256: '', error: `cannot read ${file} (${code})` });
        continue;
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      try {
        const verdict = await classifier.classifyImage(bytes, opts.top);
        const { pre } = verdict;
        if (opts.dumpTensor) {
          const stem = basename(file, extname(file));
          const input = pre.input;
          // A fused model's input is the crop itself; the float tensor would only mislead.
          if (!fused) await writeFile(join(opts.dumpTensor, `${stem}.input.f32`), Buffer.from(input.buffer, input.byteOffset, input.byteLength));
          await writeFile(join(opts.dumpTensor, `${stem}.crop224.rgb`), pre.crop);
        }
        images.push({ file, sha256, top: verdict.top, ...(opts.logits ? { logits: Array.from(verdict.logits) } : {}) });
      } catch (err) {
        images.push({ file, sha256, error: (err as Error).message });
      }
    }
  } finally {
    await classifier.close();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ model: { file: model.path, sha256: model.sha256 }, images })}\n`);
  } else {
    // Which model gave these labels, and, for an untrained one, that they mean nothing: before the first result.
    process.stderr.write(`fieldeye: classified with ${describeModel(model.card, model.labels.length)}\n`);
    const notice = untrainedNotice(model.card);
    if (notice !== null) process.stderr.write(`fieldeye: note: ${notice}\n`);
    for (const img of images) {
      if (img.error) {
        process.stdout.write(`${img.file}: ERROR ${img.error}\n`);
        continue;
      }
      process.stdout.write(`${img.file}\n`);
      for (const t of img.top ?? []) {
        process.stdout.write(`  ${(t.score * 100).toFixed(2).padStart(6)}%  ${String(t.index).padStart(4)}  ${t.label}\n`);
      }
      if (img.logits) process.stdout.write(`  logits: [${img.logits.map((v) => v.toFixed(4)).join(', ')}]\n`);
    }
  }
  return images.every((i) => !i.error) ? 0 : 1;
}
