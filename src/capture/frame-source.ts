// The FrameSource port: what every camera, recording or image-folder adapter hands the pipeline.

/** One captured frame, still encoded as the source delivered it. */
export interface Frame {
  /** Per-flight sequence number, contiguous from 0 in delivery order. */
  seq: number;
  /** Capture time, wall clock in ms since the epoch, taken as close to the sensor as the source allows. */
  capturedAtMs: number;
  /** Where capturedAtMs came from, so a subscriber can judge it. */
  timeSource: 'exif' | 'file-mtime' | 'sensor' | 'arrival' | 'recording';
  /** Encoded image bytes (JPEG, PNG, ...). */
  bytes: Buffer;
  /** A name for logs and results: the file name for folder sources. */
  name: string;
  /** Path on disk when the frame came from a file (lets EXIF-based geotagging read it). */
  path?: string;
}

export interface FrameSource {
  /** Frames in capture order. A recorded source never drops; a live one may (and counts it). */
  frames(): AsyncIterable<Frame>;
  /** How many frames the source knows it will deliver, when it knows (folders, recordings). */
  readonly expectedCount?: number;
  close(): Promise<void>;
}
