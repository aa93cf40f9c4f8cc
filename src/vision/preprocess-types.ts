// Shared shapes of the preprocessing stage: both modes produce the same pair of outputs.

export type PreprocessMode = 'fast' | 'exact';

export interface Normalisation {
  /** RGB mean on the 0..1 scale. */
  mean: readonly [number, number, number];
  /** RGB std on the 0..1 scale. */
  std: readonly [number, number, number];
}

export interface PreprocessOptions {
  mode: PreprocessMode;
  /** Shorter side after resize (torchvision Resize(256)). */
  resizeShorterPx: number;
  /** Centre crop edge (torchvision CenterCrop(224)). */
  cropPx: number;
  norm: Normalisation;
  /**
   * The largest image, in pixels, that is decoded at all (model.maxImageMegapixels): checked on the header before
   * decoding, so a small file that inflates to gigabytes (a decompression bomb) is refused. Default 64 MP.
   */
  maxInputPixels?: number;
}

/** Room for the largest real camera frames (a 61 MP survey camera, 48 MP drone photos, the Pi's 12 MP sensors) within the Pi 4's memory. */
export const DEFAULT_MAX_INPUT_PIXELS = 64_000_000;

export interface Preprocessed {
  /** Model input, float32 NCHW [1,3,crop,crop], normalised. */
  input: Float32Array;
  /** The crop as interleaved RGB bytes, HWC [crop,crop,3]. */
  crop: Uint8Array;
  /** Source image size before resizing. */
  sourceWidth: number;
  sourceHeight: number;
  timingsMs: { decode: number; preprocess: number };
}
