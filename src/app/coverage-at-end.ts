// The retained `coverage` message at the end of a flight: an observer that keeps each result's footprint (bounded) as
// the results go out, and publishes the coverage of the flight when it closes, so the crew knows before landing.
import type { FrameSource } from '../capture/frame-source.js';
import { wrapFrames } from '../capture/frame-wrapper.js';
import type { Config } from '../config/schema.js';
import { computeCoverage } from '../field/coverage-compute.js';
import type { CoverageFrame } from '../field/coverage-frame.js';
import { resultFrame } from '../field/coverage-input.js';
import type { Logger } from '../platform/logger.js';
import { settledWithin } from '../platform/with-timeout.js';
import { CoverageSchema, type Coverage } from '../publish/coverage-schema.js';
import type { Result } from '../publish/result-schema.js';

/** Footprints kept per flight: about 3 hours at one frame a second, a few megabytes; later ones are counted only. */
export const MAX_COVERAGE_FRAMES = 10_000;

/** The message gets this long for its PUBACK at the end; a link that is down then keeps it queued in the client. */
const SEND_WAIT_MS = 2_000;

/** The model's default crop (Resize 256, CenterCrop 224) as a share of the frame's shorter side. */
const CROP_SHARE = 224 / 256;

/** Frames whose exposure waits for their result: a frame that never gets one (a failed classification) is let go past this. */
const EXPOSURES_KEPT = 256;

export interface CoverageAtEnd {
  /** Each emitted result (after the sinks took it); keeps its footprint. */
  observe(result: Result): void;
  /** Computes and publishes the current flight's coverage; call before the link closes. */
  publish(): Promise<void>;
  /** The source with each frame's exposure noted (the camera's own under auto-exposure) for its result's blur check. */
  tapFrames(source: FrameSource): FrameSource;
}

/**
 * What the blur check can know live: the frame size of the camera's output (each frame's exposure comes with the
 * frame: a fixed shutter, or what rpicam-vid reported under auto-exposure); from files, blur is not checkable.
 */
function liveFootprintPx(config: Config, liveCameraSource: boolean): number | null {
  const source = config.source;
  if (!liveCameraSource || source.type !== 'rpicam') return null;
  return Math.min(source.widthPx, source.heightPx) * CROP_SHARE;
}

export function coverageAtEnd(config: Config, liveCameraSource: boolean, send: (document: Coverage) => Promise<void>, logger: Logger): CoverageAtEnd {
  const footprintPx = liveFootprintPx(config, liveCameraSource);
  const exposureUsBySeq = new Map<number, number>();
  let flight: { droneId: string; flightId: string } | null = null;
  let frames: CoverageFrame[] = [];
  let notCounted = 0;
  const publish = (): Promise<void> => {
    if (!flight) return Promise.resolve();
    const { flightId } = flight;
    try {
      const { coverage } = computeCoverage(frames, { ...flight, boundary: null, notCounted });
      const sent = send(CoverageSchema.parse(coverage)).then(
        () => logger.info({ flightId, coveredShare: coverage.coveredShare, gaps: coverage.gaps.count }, 'coverage published'),
        (error: unknown) => logger.warn({ err: (error as Error).message, flightId }, 'coverage: could not publish'),
      );
      return settledWithin(sent, SEND_WAIT_MS).then(() => undefined);
    } catch (error) {
      // The flight's results are out already; a coverage that cannot be computed must not fail the run.
      logger.warn({ err: (error as Error).message, flightId }, 'coverage: could not compute');
      return Promise.resolve();
    }
  };
  const observe = (result: Result): void => {
    if (flight && flight.flightId !== result.flightId) {
      // Arming split the run: the closed flight's coverage goes out now (not awaited, as the flight document), the
      // next one starts empty.
      void publish();
      [frames, notCounted] = [[], 0];
    }
    flight = { droneId: result.droneId, flightId: result.flightId };
    const exposureUs = exposureUsBySeq.get(result.seq);
    exposureUsBySeq.delete(result.seq);
    const camera = { exposureS: footprintPx !== null && exposureUs !== undefined ? exposureUs / 1e6 : null, footprintPx };
    if (frames.length >= MAX_COVERAGE_FRAMES) notCounted++;
    else frames.push({ ...resultFrame(result), ...camera });
  };
  const tapFrames = (source: FrameSource): FrameSource =>
    wrapFrames(source, {
      step: (frame) => {
        if (footprintPx !== null && frame.exposureUs !== undefined) {
          exposureUsBySeq.set(frame.seq, frame.exposureUs);
          if (exposureUsBySeq.size > EXPOSURES_KEPT) exposureUsBySeq.delete(exposureUsBySeq.keys().next().value as number);
        }
        return frame;
      },
    });
  return { observe, publish, tapFrames };
}
