// Publishes small JPEG previews of every Nth frame on <prefix>thumb/<seq>: best effort, QoS 0, only while
// the link is up, never in the outbox (previews would crowd out results on a slow radio link), and never
// holding a frame back: a few encodings at a time at most, the others are skipped and counted.
import sharp from 'sharp';
import type { Frame, FrameSource } from '../capture/frame-source.js';
import { wrapFrames } from '../capture/frame-wrapper.js';
import type { Logger } from '../platform/logger.js';

export interface ThumbOptions {
  widthPx: number;
  quality: number;
  everyNth: number;
  flightId: string;
  /**
   * The decode limit of every other path (model.maxImageMegapixels, in pixels): a decompression bomb costs a
   * preview only its header, never the memory of decoding it.
   */
  maxInputPixels: number;
}

export interface ThumbTransport {
  readonly linkUp: boolean;
  publishBinary(suffix: string, payload: Buffer, userProperties: Record<string, string>): Promise<void>;
}

export class ThumbPublisher {
  published = 0;
  readonly skipped = { busy: 0, linkDown: 0, raw: 0, failed: 0 };
  private readonly pending = new Set<Promise<void>>();
  /** Encodings in progress at most; a drone CPU has better things to do than queue previews. */
  private static readonly MAX_PENDING = 2;

  constructor(
    private readonly transport: ThumbTransport,
    private readonly options: ThumbOptions,
    private readonly logger: Logger,
  ) {}

  /** The same frames, in the same order; thumbnails are made on the side. */
  tapFrames(source: FrameSource): FrameSource {
    return wrapFrames(source, {
      step: (frame) => {
        this.offer(frame);
        return frame;
      },
    });
  }

  private offer(frame: Frame): void {
    if (frame.seq % this.options.everyNth !== 0) return;
    if (frame.raw) {
      // Raw ISP frames (I420) would need a colour conversion of the whole frame; previews come from encoded frames.
      this.skipped.raw++;
      return;
    }
    if (!this.transport.linkUp) {
      this.skipped.linkDown++;
      return;
    }
    if (this.pending.size >= ThumbPublisher.MAX_PENDING) {
      this.skipped.busy++;
      return;
    }
    const job = this.publish(frame).finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Waits for the previews being made, so the last ones go out before the connection closes. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async publish(frame: Frame): Promise<void> {
    try {
      const jpeg = await sharp(frame.bytes, { failOn: 'truncated', limitInputPixels: this.options.maxInputPixels })
        .resize({ width: this.options.widthPx, withoutEnlargement: true })
        .jpeg({ quality: this.options.quality, mozjpeg: false })
        .toBuffer();
      await this.transport.publishBinary(`thumb/${frame.seq}`, jpeg, {
        flightId: frame.flightId ?? this.options.flightId,
        seq: String(frame.seq),
        capturedAt: new Date(frame.capturedAtMs).toISOString(),
      });
      this.published++;
    } catch (err) {
      // A frame that cannot be decoded is reported by the pipeline itself; here it only costs the preview.
      this.skipped.failed++;
      this.logger.debug({ seq: frame.seq, err: (err as Error).message }, 'thumbnail not published');
    }
  }
}
