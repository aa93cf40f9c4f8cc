// "Classify an image" assembled once: a loaded model's preprocessing (from its card), the worker-thread classifier and
// its input layout, used alike by the flight pipeline, `fieldeye classify` and the dashboard's try-a-photo.
import { Classifier, type Classification } from './classifier.js';
import type { LoadedModel } from './model-loader.js';
import { inputImageSize } from './model-card.js';
import { preprocessImage } from './preprocess.js';
import type { Preprocessed, PreprocessMode, PreprocessOptions } from './preprocess-types.js';
import { topK, type TopClass } from './top-k.js';

/**
 * Resize, crop and normalisation for a model's card. A fused-input model (`fieldeye model fuse-input`, uint8 NHWC)
 * normalises in its own graph, so its normalisation here is the identity and it is fed the crop's bytes.
 */
export function preprocessOptionsFor(model: LoadedModel, mode: PreprocessMode, maxImageMegapixels?: number): PreprocessOptions {
  const { input } = model.card;
  const norm = input.dtype === 'uint8' ? { mean: [0, 0, 0] as const, std: [1, 1, 1] as const } : { mean: input.mean, std: input.std };
  return {
    mode,
    resizeShorterPx: input.resizeShorterPx,
    cropPx: inputImageSize(input).widthPx,
    norm,
    ...(maxImageMegapixels !== undefined ? { maxInputPixels: Math.round(maxImageMegapixels * 1e6) } : {}),
  };
}

/** The batch-1 input dims and what to feed: the float tensor (NCHW), or a copy of the crop's RGB bytes (NHWC) for a fused-input model. */
export function modelFeed(model: LoadedModel, cropPx: number): { dims: number[]; input: (pre: Preprocessed) => Float32Array | Uint8Array } {
  if (model.card.input.dtype === 'uint8') return { dims: [1, cropPx, cropPx, 3], input: (pre) => new Uint8Array(pre.crop) };
  return { dims: [1, 3, cropPx, cropPx], input: (pre) => pre.input };
}

export interface ImageVerdict {
  top: TopClass[];
  logits: Float32Array;
  /** The preprocessed image (tensor and crop), for tools that dump what the model saw. */
  pre: Preprocessed;
  inferenceMs: number;
}

export class ImageClassifier {
  readonly preprocessOptions: PreprocessOptions;
  readonly #classifier: Classifier;
  readonly #feed: ReturnType<typeof modelFeed>;

  private constructor(
    readonly model: LoadedModel,
    classifier: Classifier,
    mode: PreprocessMode,
    maxImageMegapixels: number | undefined,
  ) {
    this.#classifier = classifier;
    this.preprocessOptions = preprocessOptionsFor(model, mode, maxImageMegapixels);
    this.#feed = modelFeed(model, this.preprocessOptions.cropPx);
  }

  /** Starts the worker with the model's bytes (they are transferred, not copied: the model stays usable for its card). */
  static async open(model: LoadedModel, options: { mode: PreprocessMode; intraOpThreads: number; maxImageMegapixels?: number }): Promise<ImageClassifier> {
    const classifier = await Classifier.create({
      modelBytes: model.bytes,
      inputName: model.card.input.name,
      outputName: model.card.output.name,
      intraOpThreads: options.intraOpThreads,
    });
    return new ImageClassifier(model, classifier, options.mode, options.maxImageMegapixels);
  }

  get threads(): number {
    return this.#classifier.threads;
  }

  get loadMs(): number {
    return this.#classifier.loadMs;
  }

  /** The model's input dims (batch 1), in the layout its card says. */
  get inputDims(): number[] {
    return this.#feed.dims;
  }

  /** What the model is fed for a preprocessed image (a fresh copy for fused-input models: the buffer is transferred). */
  modelInput(pre: Preprocessed): Float32Array | Uint8Array {
    return this.#feed.input(pre);
  }

  /** Runs the model on an input already laid out by modelInput(). */
  classify(input: Float32Array | Uint8Array, dims: number[] = this.#feed.dims): Promise<Classification> {
    return this.#classifier.classify(input, dims);
  }

  /** An encoded image (JPEG, PNG, ...) to its k best classes. */
  async classifyImage(bytes: Buffer, k: number): Promise<ImageVerdict> {
    const pre = await preprocessImage(bytes, this.preprocessOptions);
    // The input's buffer is transferred to the worker (detached here); the caller gets `pre` intact, to dump or show.
    const input = this.modelInput(pre);
    const out = await this.classify(input === pre.input ? pre.input.slice() : input);
    return { top: topK(out.logits, k, this.model.labels), logits: out.logits, pre, inferenceMs: out.inferenceMs };
  }

  close(): Promise<void> {
    return this.#classifier.close();
  }
}
