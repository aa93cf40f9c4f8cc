// Cuts a raw I420 (YUV 4:2:0 planar) byte stream, as rpicam-vid --codec yuv420 writes it, into whole frames.
import { emptyDrops, type FrameSplitter } from './frame-splitter.js';

/** Frame geometry of a raw I420 stream: rows are `stride` bytes apart, of which `width` are pixels. */
export interface I420Layout {
  width: number;
  height: number;
  /** Bytes per luma row; chroma rows are stride / 2. Can exceed width (the ISP pads rows). */
  stride: number;
}

/** Bytes of one frame: a luma plane of stride x height, then U and V planes of (stride/2) x (height/2). */
export function i420FrameBytes(layout: I420Layout): number {
  return layout.stride * layout.height + 2 * (layout.stride / 2) * (layout.height / 2);
}

/** Throws a RangeError naming the bad dimension: odd sizes have no 2x2 chroma sampling to speak of. */
export function assertI420Layout(layout: I420Layout, where = 'i420'): void {
  const { width, height, stride } = layout;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(v) || v < 2 || v % 2 !== 0) {
      throw new RangeError(`${where}.${name}: expected an even integer >= 2, received ${v}`);
    }
  }
  if (stride < width) throw new RangeError(`${where}.stride: expected at least the width (${width}), received ${stride}`);
}

/**
 * Raw frames carry no markers, so the only framing is the byte count: one lost byte would shear every
 * later frame. A pipe never loses bytes, so this only has to be exact about chunk boundaries.
 */
export class I420Splitter implements FrameSplitter {
  readonly frameBytes: number;
  readonly drops = emptyDrops();
  private current: Buffer;
  private filled = 0;

  constructor(layout: I420Layout) {
    assertI420Layout(layout);
    this.frameBytes = i420FrameBytes(layout);
    this.current = Buffer.allocUnsafe(this.frameBytes);
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.current, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        out.push(this.current);
        // A fresh buffer per frame: the previous one now belongs to whoever took the frame.
        this.current = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
    }
    return out;
  }

  end(): void {
    if (this.filled > 0) this.drops.truncated++;
    this.filled = 0;
  }
}
