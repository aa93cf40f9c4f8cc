// Picks the preprocessing path for a frame: raw camera pixels (I420) or an encoded image (JPEG/PNG).
import type { Frame } from '../capture/frame-source.js';
import { preprocessImage } from './preprocess.js';
import { preprocessI420 } from './preprocess-i420.js';
import type { PreprocessOptions, Preprocessed } from './preprocess-types.js';

export async function preprocessFrame(frame: Frame, options: PreprocessOptions): Promise<Preprocessed> {
  if (frame.raw) return preprocessI420(frame.bytes, frame.raw, options);
  return preprocessImage(frame.bytes, options);
}
