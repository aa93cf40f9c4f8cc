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
  /** Set when `bytes` are raw pixels rather than an encoded image (a camera's yuv420 stream). */
  raw?: RawFrameFormat;
  /** Exposure time, microseconds, when the source knows it (a camera's fixed shutter); recorded as source.exposureUs. */
  exposureUs?: number;
  /** The flight session the frame belongs to, when the run is split by arming (FlightSessions); seq counts within it. */
  flightId?: string;
  /**
   * A replayed imported photo's own geotag (its EXIF GPS and XMP attitude; null: the photo has no position): the
   * position source answers with it, not with telemetry at a time another photo of the same second shares.
   */
  ownPosition?: {
    latDeg: number;
    lonDeg: number;
    altMslM: number | null;
    altAglM: number | null;
    attitude: { rollDeg: number; pitchDeg: number; yawDeg: number } | null;
  } | null;
}

/** Layout of raw frame bytes: I420 is a luma plane of stride x height, then U and V of (stride/2) x (height/2). */
export interface RawFrameFormat {
  format: 'i420';
  width: number;
  height: number;
  /** Bytes per luma row; can exceed width (padded rows). */
  stride: number;
}

export interface FrameSource {
  /** Frames in capture order. A recorded source never drops; a live one may (and counts it). */
  frames(): AsyncIterable<Frame>;
  /** How many frames the source knows it will deliver, when it knows (folders, recordings). */
  readonly expectedCount?: number;
  /** Frames a live source captured but never delivered, by reason (recorded sources never drop). */
  dropCounts?(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}
