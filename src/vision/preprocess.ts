// Frame preprocessing entry point: turns encoded image bytes into the model's input tensor, fast (sharp) or exact (torchvision-identical).
import { preprocessExact } from './preprocess-exact.js';
import { preprocessFast } from './preprocess-fast.js';
import { assertGeometryOptions } from './preprocess-geometry.js';
import type { PreprocessOptions, Preprocessed } from './preprocess-types.js';

export { ImageDecodeError } from './preprocess-errors.js';

/**
 * Decodes `bytes` (JPEG, PNG; fast mode also anything else sharp reads), resizes the shorter side to
 * `resizeShorterPx`, centre-crops `cropPx`, normalises, and returns the float32 NCHW tensor and the crop.
 * Throws ImageDecodeError for frames that are empty, truncated, corrupt or not images, and RangeError
 * for invalid options.
 */
export async function preprocessImage(bytes: Buffer, options: PreprocessOptions): Promise<Preprocessed> {
  assertGeometryOptions(options.resizeShorterPx, options.cropPx);
  switch (options.mode) {
    case 'exact':
      return preprocessExact(bytes, options);
    case 'fast':
      return preprocessFast(bytes, options);
    default:
      throw new RangeError(`preprocess.mode: expected "fast" or "exact", received ${JSON.stringify(options.mode as unknown)}`);
  }
}
