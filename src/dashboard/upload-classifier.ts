// "Try a photo": classifies an uploaded image in memory with the drone's own code path (model loading and card
// checks, preprocessing, the worker-thread classifier, softmax top-k), so a crew can check a model before take-off.
import sharp, { type Metadata } from 'sharp';
import type { Logger } from '../platform/logger.js';
import { ImageClassifier } from '../vision/image-classifier.js';
import type { LoadedModel } from '../vision/model-loader.js';
import { ImageTooLargeError, sniffFormat } from '../vision/preprocess-errors.js';
import type { PreprocessMode } from '../vision/preprocess-types.js';
import type { TopClass } from '../vision/top-k.js';

/** An upload the dashboard refuses, with the HTTP status and a message for the operator. */
export class UploadRejected extends Error {
  override readonly name = 'UploadRejected';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface UploadVerdict {
  top: TopClass[];
  image: { format: string; widthPx: number; heightPx: number; bytes: number };
  inferenceMs: number;
}

export interface UploadClassifierInfo {
  model: string;
  sha256: string;
  precision: string;
  classes: number;
}

/** Uploads waiting or running at once; more are refused (busy) instead of queueing without bound. */
const MAX_IN_FLIGHT = 3;

export class UploadClassifier {
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;

  private constructor(
    private readonly classifier: ImageClassifier,
    readonly info: UploadClassifierInfo,
  ) {}

  /** The model loaded as the pipeline loads it (card checked), classified as the pipeline classifies. */
  static async open(
    model: LoadedModel,
    options: { mode: PreprocessMode; intraOpThreads: number; maxImageMegapixels: number },
    logger: Logger,
  ): Promise<UploadClassifier> {
    const classifier = await ImageClassifier.open(model, options);
    logger.info({ model: model.path, threads: classifier.threads }, 'try-a-photo classifier ready');
    return new UploadClassifier(classifier, {
      model: model.card.name,
      sha256: model.sha256,
      precision: model.card.precision,
      classes: model.labels.length,
    });
  }

  /** One image in memory; rejects with UploadRejected for anything that is not a decodable image. */
  async classify(bytes: Buffer, k = 3): Promise<UploadVerdict> {
    if (this.inFlight >= MAX_IN_FLIGHT) throw new UploadRejected(503, `busy: ${this.inFlight} photos are being classified; try again in a moment`);
    this.inFlight++;
    try {
      // One at a time: the classifier's threads are shared, and the order of answers then follows the order of drops.
      const run = this.queue.then(() => this.classifyNow(bytes, k));
      this.queue = run.catch(() => undefined);
      return await run;
    } finally {
      this.inFlight--;
    }
  }

  close(): Promise<void> {
    return this.classifier.close();
  }

  private async classifyNow(bytes: Buffer, k: number): Promise<UploadVerdict> {
    let meta: Metadata;
    try {
      // Header only (no decoding, so no pixel cap here): the classifier applies model.maxImageMegapixels.
      meta = await sharp(bytes, { failOn: 'truncated', limitInputPixels: false }).metadata();
    } catch {
      const known = sniffFormat(bytes);
      throw new UploadRejected(
        415,
        known
          ? `this ${known} file is damaged or truncated and cannot be decoded; try another photo`
          : `this file is not an image (${bytes.length} bytes of something else); drop a JPEG, PNG, WebP or TIFF photo`,
      );
    }
    let out;
    try {
      out = await this.classifier.classifyImage(bytes, k);
    } catch (error) {
      // Too many pixels is not a damaged file: say so, with the size and the limit (413: the content is too large).
      if (error instanceof ImageTooLargeError) throw new UploadRejected(413, `this ${meta.format ?? 'image'} cannot be classified, ${error.message}`);
      throw new UploadRejected(415, `this ${meta.format ?? 'image'} cannot be classified: ${(error as Error).message}`);
    }
    return {
      top: out.top,
      image: { format: meta.format ?? 'unknown', widthPx: meta.width ?? 0, heightPx: meta.height ?? 0, bytes: bytes.length },
      inferenceMs: out.inferenceMs,
    };
  }
}
