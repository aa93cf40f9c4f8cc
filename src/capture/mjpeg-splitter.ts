// Cuts a stream of back-to-back JPEGs (rpicam-vid --codec mjpeg: no framing at all) into whole JPEG files.
import { emptyDrops, type FrameSplitter } from './frame-splitter.js';

const enum State {
  /** Between frames: looking for an SOI marker (FF D8). */
  Seek,
  /** At a marker inside a frame. */
  Marker,
  /** Inside entropy-coded scan data, where a real marker can only follow an unstuffed FF. */
  Entropy,
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** A JPEG bigger than this is not a camera frame: it is a stream we lost sync with. */
export const DEFAULT_MAX_JPEG_BYTES = 32 * 1024 * 1024;

/**
 * Walks the JPEG structure rather than searching for FF D9: segments are skipped by their length
 * field, so an EXIF thumbnail (a whole JPEG, SOI to EOI, inside APP1) cannot end a frame early; in scan
 * data FF 00 (stuffing) and FF D0-D7 (restart markers) are not boundaries. A new SOI where a marker
 * should be means the previous frame was cut short (the writer restarted): it is counted as truncated.
 */
export class MjpegSplitter implements FrameSplitter {
  readonly drops = emptyDrops();
  private buf = Buffer.allocUnsafe(256 * 1024);
  private len = 0;
  private pos = 0;
  private state = State.Seek;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_JPEG_BYTES) {}

  push(chunk: Buffer): Buffer[] {
    this.append(chunk);
    const out: Buffer[] = [];
    this.parse(out);
    if (this.state !== State.Seek && this.len > this.maxFrameBytes) {
      this.drops.oversize++;
      this.consume(this.len);
      this.state = State.Seek;
    }
    return out;
  }

  end(): void {
    if (this.state !== State.Seek) this.drops.truncated++;
    else this.drops.garbage += this.len;
    this.len = 0;
    this.pos = 0;
    this.state = State.Seek;
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + chunk.length));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  /** Drops the first n bytes; parse positions are relative to the buffer start, so they move too. */
  private consume(n: number): void {
    this.buf.copy(this.buf, 0, n, this.len);
    this.len -= n;
    this.pos = Math.max(0, this.pos - n);
  }

  /** The frame in hand is not a JPEG after all: count it and look for the next SOI after its own. */
  private resync(): void {
    this.drops.corrupt++;
    this.consume(1);
    this.state = State.Seek;
  }

  private parse(out: Buffer[]): void {
    const buf = this.buf;
    for (;;) {
      const len = this.len;
      if (this.state === State.Seek) {
        const at = indexOfSoi(buf, len);
        if (at < 0) {
          // Keep a trailing FF: it may be the first half of an SOI split across chunks.
          const keep = len > 0 && buf[len - 1] === 0xff ? 1 : 0;
          this.drops.garbage += len - keep;
          this.consume(len - keep);
          return;
        }
        this.drops.garbage += at;
        this.consume(at);
        this.pos = 2;
        this.state = State.Marker;
        continue;
      }
      const pos = this.pos;
      if (this.state === State.Entropy) {
        if (pos >= len) return;
        const ff = buf.subarray(0, len).indexOf(0xff, pos);
        if (ff < 0) {
          this.pos = len;
          return;
        }
        if (ff + 1 >= len) {
          this.pos = ff;
          return;
        }
        const next = buf[ff + 1] as number;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) this.pos = ff + 2;
        else if (next === 0xff) this.pos = ff + 1;
        else {
          this.pos = ff;
          this.state = State.Marker;
        }
        continue;
      }
      // State.Marker
      if (pos + 1 >= len) return;
      if (buf[pos] !== 0xff) {
        this.resync();
        continue;
      }
      const marker = buf[pos + 1] as number;
      if (marker === 0xff) {
        this.pos = pos + 1; // fill byte before a marker
      } else if (marker === EOI) {
        if (pos + 2 > this.maxFrameBytes) this.drops.oversize++;
        else out.push(Buffer.from(buf.subarray(0, pos + 2)));
        this.consume(pos + 2);
        this.state = State.Seek;
      } else if (marker === SOI) {
        this.drops.truncated++;
        this.consume(pos);
        this.pos = 2;
      } else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        this.pos = pos + 2; // markers without a length field
      } else if (marker === 0x00) {
        this.resync();
      } else {
        if (pos + 3 >= len) return;
        const length = buf.readUInt16BE(pos + 2);
        if (length < 2) {
          this.resync();
          continue;
        }
        this.pos = pos + 2 + length;
        if (marker === SOS) this.state = State.Entropy;
      }
    }
  }
}

function indexOfSoi(buf: Buffer, len: number): number {
  let from = 0;
  for (;;) {
    const ff = buf.subarray(0, len).indexOf(0xff, from);
    if (ff < 0 || ff + 1 >= len) return -1;
    if (buf[ff + 1] === SOI) return ff;
    from = ff + 1;
  }
}
