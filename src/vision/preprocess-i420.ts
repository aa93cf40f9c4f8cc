// The raw-camera preprocessing path: I420 frames already at model scale become the centre crop's RGB and the model tensor in one pass.
import type { RawFrameFormat } from '../capture/frame-source.js';
import { ConfigError } from '../config/config-error.js';
import { assertGeometryOptions, resizeCropGeometry } from './preprocess-geometry.js';
import { normaliseToNchw } from './preprocess-normalise.js';
import type { PreprocessOptions, Preprocessed } from './preprocess-types.js';

/**
 * YCbCr encodings, named as libcamera names them. rpicam-vid's yuv420 (and mjpeg) output is sYCC:
 * BT.601 matrix, full range (rpicam-apps asks for the JPEG colour space for both codecs); smpte170m
 * (BT.601, limited 16-235) and rec709 (BT.709, limited) are what libcamera gives other consumers.
 */
export type YuvColourSpace = 'sycc' | 'smpte170m' | 'rec709';

interface YuvMatrix {
  yOffset: number;
  yScale: number;
  rCr: number;
  gCb: number;
  gCr: number;
  bCb: number;
}

/** Coefficients from the standard's Kr/Kb; limited range stretches 16-235 (luma) and 16-240 (chroma) to 0-255. */
function matrixFor(space: YuvColourSpace): YuvMatrix {
  const [kr, kb] = space === 'rec709' ? [0.2126, 0.0722] : [0.299, 0.114];
  const kg = 1 - kr - kb;
  const full = space === 'sycc';
  const yScale = full ? 1 : 255 / 219;
  const cScale = full ? 1 : 255 / 224;
  return {
    yOffset: full ? 0 : 16,
    yScale,
    rCr: 2 * (1 - kr) * cScale,
    gCb: ((2 * kb * (1 - kb)) / kg) * cScale,
    gCr: ((2 * kr * (1 - kr)) / kg) * cScale,
    bCb: 2 * (1 - kb) * cScale,
  };
}

export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * RGB (HWC bytes) of a rectangle of an I420 frame. Each chroma sample covers a 2x2 block of luma
 * (nearest, no interpolation: at model scale the ISP has already filtered chroma, and this keeps
 * the pass to one read per plane per pixel).
 */
export function i420ToRgb(bytes: Uint8Array, raw: RawFrameFormat, rect: PixelRect, space: YuvColourSpace = 'sycc'): Uint8Array {
  const { width, height, stride } = raw;
  const frameBytes = stride * height + 2 * (stride / 2) * (height / 2);
  if (bytes.length < frameBytes) {
    throw new RangeError(`i420 frame: ${bytes.length} bytes, expected ${frameBytes} for ${width}x${height} with stride ${stride}`);
  }
  if (rect.left < 0 || rect.top < 0 || rect.left + rect.width > width || rect.top + rect.height > height) {
    throw new RangeError(`i420 frame ${width}x${height}: rectangle ${JSON.stringify(rect)} lies outside it`);
  }
  const m = matrixFor(space);
  const cStride = stride / 2;
  const uBase = stride * height;
  const vBase = uBase + cStride * (height / 2);
  // Uint8ClampedArray rounds and clamps on store, which is exactly the conversion's last step.
  const out = new Uint8ClampedArray(rect.width * rect.height * 3);
  let o = 0;
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    const yRow = y * stride;
    const cRow = (y >> 1) * cStride;
    for (let x = rect.left; x < rect.left + rect.width; x++) {
      const luma = ((bytes[yRow + x] as number) - m.yOffset) * m.yScale;
      const ci = cRow + (x >> 1);
      const cb = (bytes[uBase + ci] as number) - 128;
      const cr = (bytes[vBase + ci] as number) - 128;
      out[o++] = luma + m.rCr * cr;
      out[o++] = luma - m.gCb * cb - m.gCr * cr;
      out[o++] = luma + m.bCb * cb;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Raw frames are cropped, never resized: their shorter side has to be the model's resize size already. */
export function assertRawFitsModel(width: number, height: number, resizeShorterPx: number): void {
  if (Math.min(width, height) !== resizeShorterPx) {
    // A configuration fault: no restart can make the camera's output size fit the model.
    throw new ConfigError(
      `source.widthPx/heightPx ${width}x${height}: for yuv420 the shorter side must be the model's resize size ` +
        `(${resizeShorterPx}), because raw frames are centre-cropped without resizing; set it to ${resizeShorterPx}`,
    );
  }
}

/**
 * The model tensor from an I420 frame whose shorter side is already the resize size (the ISP scaled
 * it), so torchvision's Resize is the identity and only its CenterCrop and Normalize remain.
 */
export function preprocessI420(bytes: Uint8Array, raw: RawFrameFormat, options: PreprocessOptions, space: YuvColourSpace = 'sycc'): Preprocessed {
  const t0 = performance.now();
  assertGeometryOptions(options.resizeShorterPx, options.cropPx);
  assertRawFitsModel(raw.width, raw.height, options.resizeShorterPx);
  const g = resizeCropGeometry(raw.width, raw.height, options.resizeShorterPx, options.cropPx);
  const crop = i420ToRgb(bytes, raw, { left: g.cropLeft, top: g.cropTop, width: g.cropPx, height: g.cropPx }, space);
  const input = normaliseToNchw(crop, g.cropPx, options.norm);
  return { input, crop, sourceWidth: raw.width, sourceHeight: raw.height, timingsMs: { decode: 0, preprocess: performance.now() - t0 } };
}
