// Maps rpicam-vid's per-frame timestamps (--save-pts) to wall-clock capture times.
//
// What rpicam-vid writes: a header line "# timecode format v2", then one line per frame written to the
// output, "<ms>.<us>" (e.g. "33.364"): the sensor timestamp of that frame in milliseconds, minus the
// sensor timestamp of the first frame of the run, so a run starts at 0. The line is written right after
// the frame's bytes (and flushed with --flush), so line k belongs to the k-th frame on stdout.
//
// The mapping: the pts give exact intervals between exposures, but no absolute time. Each frame reaches
// us some time after its exposure (readout, ISP, pipe), never before, so for every frame
//   arrival - pts >= start-of-run,
// and the smallest (arrival - pts) seen so far is the best estimate of when the run's first frame was
// captured. capture = that minimum + pts. Arrival is taken on the monotonic clock (performance.now()),
// so a wall-clock step during the flight (GPS or NTP sync) cannot corrupt the minimum; it is turned into
// wall-clock time when the frame is handed out, with the wall-minus-monotonic offset of that moment.
// The estimate is late by the smallest camera-to-stdout latency of the run (on a Pi, about one frame
// readout plus ISP time, a few tens of ms), and it only ever moves earlier as better frames arrive.

/** The pts of one line in milliseconds, or null for the header, comments and blank lines. */
export function parsePtsLine(line: string): number | null {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  const ms = Number(text);
  return Number.isFinite(ms) ? ms : null;
}

/** One per child run: pts restart at 0 when rpicam-vid restarts. */
export class PtsClock {
  private offsetMonoMs = Infinity;

  /** Capture time on the monotonic clock for a frame with this pts that arrived at arrivalMonoMs. */
  captureMonoMs(ptsMs: number, arrivalMonoMs: number): number {
    this.offsetMonoMs = Math.min(this.offsetMonoMs, arrivalMonoMs - ptsMs);
    return this.offsetMonoMs + ptsMs;
  }
}

/** Monotonic ms (performance.now()) to wall-clock ms since the epoch, as the wall clock reads now. */
export function monoToWallMs(monoMs: number): number {
  return Date.now() - performance.now() + monoMs;
}
