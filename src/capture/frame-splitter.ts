// The shape shared by the byte-stream splitters that cut a camera's stdout into frames (MJPEG, I420).

/** Why bytes of a stream did not become a frame; every splitter counts these by reason. */
export type SplitDropReason = 'garbage' | 'corrupt' | 'truncated' | 'oversize';

export interface FrameSplitter {
  /** Feeds the next chunk, split anywhere; returns the frames it completed, each in its own buffer. */
  push(chunk: Buffer): Buffer[];
  /** The stream ended: a partial frame still held is counted as truncated and discarded. */
  end(): void;
  /** Whole frames lost, by reason ('garbage' counts bytes between frames, not frames). */
  readonly drops: Readonly<Record<SplitDropReason, number>>;
}

export function emptyDrops(): Record<SplitDropReason, number> {
  return { garbage: 0, corrupt: 0, truncated: 0, oversize: 0 };
}
