// Measures per-frame time of both preprocessing modes, and fast mode's agreement with exact mode (= torchvision), on given JPEGs or on generated 640x480, 1280x960 and 1920x1080 frames.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import sharp from 'sharp';
import { preprocessImage } from '../src/vision/preprocess.js';
import type { PreprocessMode, PreprocessOptions } from '../src/vision/preprocess-types.js';

// Usage: node dist/bench/preprocess-bench.js [--iterations N] [--json out.json] [image ...]
// Without images it makes three JPEGs (q90) from a golden fixture photo, at the sizes a drone
// pipeline sees: 640x480 (ISP-scaled live frames), 1280x960 and 1920x1080 (recorded MJPEG). Exact mode is
// bit-identical to torchvision (test/vision/preprocess.test.ts), so fast-vs-exact here is
// fast-vs-torchvision on any image, including full-size survey photos that are too big to commit.

const IMAGENET: Omit<PreprocessOptions, 'mode'> = {
  resizeShorterPx: 256,
  cropPx: 224,
  norm: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};

interface Frame {
  name: string;
  bytes: Buffer;
}

interface ModeTiming {
  medianMs: number;
  p90Ms: number;
  decodeMedianMs: number;
  preprocessMedianMs: number;
}

interface Row {
  frame: string;
  width: number;
  height: number;
  exact: ModeTiming;
  fast: ModeTiming;
  fastVsExactMax: number;
  fastVsExactMean: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function generatedFrames(): Promise<Frame[]> {
  const src = resolve(import.meta.dirname, '../../test/fixtures/golden/images/seneca_0550_960x720.jpg');
  const photo = readFileSync(src);
  const make = async (w: number, h: number): Promise<Frame> => ({
    name: `generated_${w}x${h}.jpg`,
    bytes: await sharp(photo).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(),
  });
  return [await make(640, 480), await make(1280, 960), await make(1920, 1080)];
}

async function timeMode(frame: Frame, mode: PreprocessMode, iterations: number): Promise<ModeTiming> {
  const options: PreprocessOptions = { ...IMAGENET, mode };
  for (let i = 0; i < 3; i++) await preprocessImage(frame.bytes, options); // JIT and libvips caches
  const total: number[] = [];
  const decode: number[] = [];
  const pre: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const out = await preprocessImage(frame.bytes, options);
    total.push(performance.now() - t0);
    decode.push(out.timingsMs.decode);
    pre.push(out.timingsMs.preprocess);
  }
  for (const a of [total, decode, pre]) a.sort((x, y) => x - y);
  return { medianMs: quantile(total, 0.5), p90Ms: quantile(total, 0.9), decodeMedianMs: quantile(decode, 0.5), preprocessMedianMs: quantile(pre, 0.5) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let iterations = 20;
  let jsonOut: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--iterations') iterations = Number(args[++i]);
    else if (a === '--json') jsonOut = args[++i];
    else files.push(a);
  }
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`--iterations: expected a positive integer, received ${iterations}`);
  // Let libvips use one thread, like a Pi core left over next to the inference worker.
  sharp.concurrency(1);
  sharp.cache(false);

  const frames = files.length > 0 ? files.map((f) => ({ name: basename(f), bytes: readFileSync(f) })) : await generatedFrames();
  const rows: Row[] = [];
  for (const frame of frames) {
    const exactOut = await preprocessImage(frame.bytes, { ...IMAGENET, mode: 'exact' });
    const fastOut = await preprocessImage(frame.bytes, { ...IMAGENET, mode: 'fast' });
    let max = 0;
    let sum = 0;
    for (let i = 0; i < exactOut.crop.length; i++) {
      const d = Math.abs(exactOut.crop[i]! - fastOut.crop[i]!);
      sum += d;
      if (d > max) max = d;
    }
    rows.push({
      frame: frame.name,
      width: exactOut.sourceWidth,
      height: exactOut.sourceHeight,
      exact: await timeMode(frame, 'exact', iterations),
      fast: await timeMode(frame, 'fast', iterations),
      fastVsExactMax: max,
      fastVsExactMean: sum / exactOut.crop.length,
    });
  }

  const f1 = (x: number): string => x.toFixed(1);
  console.log(`preprocess, ${iterations} runs per mode, sharp concurrency 1, median (p90) ms; decode/preprocess split as reported in timingsMs`);
  console.log('| frame | size | exact ms | exact decode / pre | fast ms | fast decode / pre | fast vs torchvision max / mean |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.frame} | ${r.width}x${r.height} | ${f1(r.exact.medianMs)} (${f1(r.exact.p90Ms)}) | ${f1(r.exact.decodeMedianMs)} / ${f1(r.exact.preprocessMedianMs)} ` +
        `| ${f1(r.fast.medianMs)} (${f1(r.fast.p90Ms)}) | ${f1(r.fast.decodeMedianMs)} / ${f1(r.fast.preprocessMedianMs)} | ${r.fastVsExactMax} / ${r.fastVsExactMean.toFixed(2)} |`,
    );
  }
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ iterations, rows }, null, 2)}\n`);
}

await main();
