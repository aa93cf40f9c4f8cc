// Reads rpicam-vid's per-frame metadata stream (--metadata FILE --metadata-format json) as it is written: one object
// per output frame, in frame order, of which fieldeye keeps the exposure time the camera's auto-exposure chose.
//
// rpicam-apps writes "[", then per frame an object of every libcamera control, "Name": value, each value printed by
// libcamera's ControlValue::toString() and quoted only when it holds a "/" (a rectangle such as "(0, 0)/4608x2592"):
// other values need not be JSON (a float prints through std::to_string, so nan or inf can appear). So objects are cut
// out by their braces and only the numeric ExposureTime is read from each, never JSON.parse of the whole.

/** A frame's metadata as fieldeye uses it; null when its object had no readable ExposureTime. */
export interface FrameMetadata {
  exposureUs: number | null;
}

/** Longest object kept while waiting for its closing brace: a whole control list is about 1-2 KB. */
const MAX_OBJECT_CHARS = 64 * 1024;

const EXPOSURE = /"ExposureTime"\s*:\s*"?(\d+(?:\.\d+)?)"?\s*[,}\n]/;

/** Incremental reader: push() the stream's text as it arrives, get back the frames whose objects completed. */
export class RpicamMetadataReader {
  private depth = 0;
  private inString = false;
  private current = '';

  push(text: string): FrameMetadata[] {
    const out: FrameMetadata[] = [];
    for (const ch of text) {
      // An object past the limit is cut short but still counted, so the frames after it keep their index.
      if (this.depth > 0 && this.current.length < MAX_OBJECT_CHARS) this.current += ch;
      if (this.inString) {
        if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') this.inString = this.depth > 0;
      else if (ch === '{') {
        if (this.depth === 0) this.current = '{';
        this.depth++;
      } else if (ch === '}' && this.depth > 0) {
        this.depth--;
        if (this.depth === 0) out.push(frameMetadata(this.current));
      }
    }
    return out;
  }
}

function frameMetadata(object: string): FrameMetadata {
  const m = EXPOSURE.exec(object);
  const us = m ? Number(m[1]) : NaN;
  // A shutter of zero or past a minute is no exposure a camera used for a frame of this stream.
  return { exposureUs: us > 0 && us <= 60_000_000 ? us : null };
}

/** The exposure of each frame of one rpicam-vid run, by frame index, from its metadata stream. */
export class RunExposures {
  private readonly reader = new RpicamMetadataReader();
  private readonly byIndex = new Map<number, number>();
  private seen = 0;
  private newest: number | undefined;

  push(text: string): void {
    for (const m of this.reader.push(text)) {
      const k = this.seen++;
      if (m.exposureUs === null) continue;
      this.byIndex.set(k, m.exposureUs);
      this.newest = m.exposureUs;
    }
  }

  /**
   * Frame k's own exposure when its object has arrived, else the newest one reported: rpicam-vid writes the metadata
   * through a buffered stream, so it comes in blocks a few frames behind the video, and auto-exposure moves slowly.
   * Forgets frames up to k.
   */
  take(k: number): number | undefined {
    const own = this.byIndex.get(k);
    for (const key of this.byIndex.keys()) {
      if (key > k) break;
      this.byIndex.delete(key);
    }
    return own ?? this.newest;
  }
}
