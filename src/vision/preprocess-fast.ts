// Fast preprocessing: sharp (libvips) decodes, resizes and crops in one native pipeline, tuned to stay close to torchvision.
import sharp from 'sharp';
import type { KernelEnum, Metadata, Sharp } from 'sharp';
import {
  FRAME_READ_OPTIONS,
  assertConvertibleLikePil,
  decodeGrey16Clipped,
  decodeRgbDroppingAlpha,
  isGrey16WithoutAlpha,
  readFrameMetadata,
} from './preprocess-decode.js';
import { toImageDecodeError } from './preprocess-errors.js';
import { resizeCropGeometry } from './preprocess-geometry.js';
import type { ResizeCropGeometry } from './preprocess-geometry.js';
import { normaliseToNchw } from './preprocess-normalise.js';
import type { PreprocessOptions, Preprocessed } from './preprocess-types.js';

// Settings, each chosen because the default moves pixels away from torchvision (NOTES.md; measured
// on the golden fixtures, figures in test/vision/preprocess.test.ts):
// - kernel 'linear': the triangle filter PIL uses, widened by the reduction factor like PIL's; the
//   default lanczos3 sharpens and rings;
// - exact output size (fit 'fill' with torchvision's truncated long side) and torchvision's crop
//   offsets (half to even): sharp's own `fit` rounds the long side and `position` rounds the offset;
// - no ICC conversion (torchvision uses the stored values; it also costs ~5 ms a frame);
// - alpha dropped before resizing: sharp premultiplies during a resize, turning transparent pixels
//   black, while PIL's convert('RGB') keeps their colour. Needs a separate decode, for alpha frames only;
// - upsampling (sources under 256 px): sharp's resize enlarges with its own offsets (up to 52 levels
//   off); affine with the bilinear interpolator and pixel-centre offsets is what PIL's unwidened
//   triangle filter computes (1 level off). sharp applies `extract` before `affine`, so the crop of an
//   upsampled frame is cut here, from the small affine output;
// - JPEG shrink-on-load limited to 2x: the DCT-domain downscale is a box-like filter, not PIL's
//   triangle. fastShrinkOnLoad: false leaves at least a 2x reduction to the linear kernel; at 2x the
//   crops stay within 5 levels, but at 4x (sources with a short side of 2048 px or more) one 4000x2250
//   drone photo went 27 levels off. Those frames get a whole-image pre-extract, which makes sharp skip
//   shrink-on-load: within 7 levels on every full-size sample photo, for about 1.5x the time.
const KERNEL: keyof KernelEnum = 'linear';
/** Reduction at which sharp (with fastShrinkOnLoad: false) would shrink a JPEG by 4 or more on load. */
const SHRINK_ON_LOAD_4X = 8;

const RAW_OUTPUT = { resolveWithObject: true } as const;

/** Sharp failures that mean the frame itself is bad, as opposed to a bug in the pipeline built here. */
function isDecodeFailure(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /premature end|truncat|read error|corrupt|unsupported image format|Input buffer|Input file|VipsJpeg|vipspng|libpng/i.test(msg);
}

/** Cuts a square out of interleaved RGB bytes. */
function cropRgb(data: Uint8Array, width: number, g: ResizeCropGeometry): Uint8Array {
  const stride = g.cropPx * 3;
  const out = new Uint8Array(g.cropPx * stride);
  for (let y = 0; y < g.cropPx; y++) {
    const from = ((g.cropTop + y) * width + g.cropLeft) * 3;
    out.set(data.subarray(from, from + stride), y * stride);
  }
  return out;
}

/** Runs the resize (or enlargement) and crop; returns the crop as HWC RGB bytes. */
async function resizeAndCrop(img: Sharp, src: { width: number; height: number }, g: ResizeCropGeometry): Promise<Uint8Array> {
  const extract = { left: g.cropLeft, top: g.cropTop, width: g.cropPx, height: g.cropPx };
  const upsampling = g.resizedWidth > src.width || g.resizedHeight > src.height;
  if (upsampling) {
    const sx = g.resizedWidth / src.width;
    const sy = g.resizedHeight / src.height;
    // PIL samples output pixel x at source (x + 0.5) / s - 0.5; affine maps source u to s * (u + idx) + odx,
    // so idx = 0.5 and odx = -0.5 put pixel centres on pixel centres.
    const { data, info } = await img
      .affine([sx, 0, 0, sy], { interpolator: 'bilinear', idx: 0.5, idy: 0.5, odx: -0.5, ody: -0.5 })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer(RAW_OUTPUT);
    if (info.channels !== 3 || info.width < g.cropLeft + g.cropPx || info.height < g.cropTop + g.cropPx) {
      throw new Error(
        `fast preprocess: affine enlargement gave ${info.width}x${info.height}x${info.channels}, expected ${g.resizedWidth}x${g.resizedHeight}x3`,
      );
    }
    return cropRgb(data, info.width, g);
  }
  let sized = img;
  if (g.resizedWidth !== src.width || g.resizedHeight !== src.height) {
    const reduction = Math.min(src.width / g.resizedWidth, src.height / g.resizedHeight);
    // A pre-resize extract of the whole image is sharp's only switch that turns shrink-on-load off.
    if (reduction >= SHRINK_ON_LOAD_4X) sized = sized.extract({ left: 0, top: 0, width: src.width, height: src.height });
    sized = sized.resize(g.resizedWidth, g.resizedHeight, { fit: 'fill', kernel: KERNEL, fastShrinkOnLoad: false });
  }
  const { data, info } = await sized.extract(extract).toColourspace('srgb').removeAlpha().raw().toBuffer(RAW_OUTPUT);
  if (info.width !== g.cropPx || info.height !== g.cropPx || info.channels !== 3) {
    throw new Error(`fast preprocess: sharp returned ${info.width}x${info.height}x${info.channels}, expected ${g.cropPx}x${g.cropPx}x3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Decodes to raw RGB first for the layouts sharp would otherwise resize differently from PIL. */
async function rawFirstIfNeeded(bytes: Buffer, meta: Metadata): Promise<{ img: Sharp; width: number; height: number }> {
  if (meta.hasAlpha || isGrey16WithoutAlpha(meta)) {
    const rgb = isGrey16WithoutAlpha(meta) ? await decodeGrey16Clipped(bytes) : await decodeRgbDroppingAlpha(bytes);
    const raw = { width: rgb.width, height: rgb.height, channels: 3 as const };
    return { img: sharp(rgb.data, { raw }), width: rgb.width, height: rgb.height };
  }
  return { img: sharp(bytes, FRAME_READ_OPTIONS), width: meta.width ?? 0, height: meta.height ?? 0 };
}

export async function preprocessFast(bytes: Buffer, options: PreprocessOptions): Promise<Preprocessed> {
  const t0 = performance.now();
  const meta = await readFrameMetadata(bytes, options.maxInputPixels);
  assertConvertibleLikePil(meta);
  let crop: Uint8Array;
  let src: { img: Sharp; width: number; height: number };
  let t1: number;
  try {
    src = await rawFirstIfNeeded(bytes, meta);
    t1 = performance.now();
    const g = resizeCropGeometry(src.width, src.height, options.resizeShorterPx, options.cropPx);
    crop = await resizeAndCrop(src.img, src, g);
  } catch (err) {
    throw isDecodeFailure(err) ? toImageDecodeError(err, bytes) : err;
  }
  const input = normaliseToNchw(crop, options.cropPx, options.norm);
  const t2 = performance.now();
  return { input, crop, sourceWidth: src.width, sourceHeight: src.height, timingsMs: { decode: t1 - t0, preprocess: t2 - t1 } };
}
