// The stage loop: frame -> preprocess + position lookup -> classify (worker) -> result -> every sink.
// Preprocessing of frame n+1 overlaps inference of frame n; sinks are fed in seq order without
// holding up the loop; a failure on one frame is logged with its seq and stage and the flight goes on.
import { performance } from 'node:perf_hooks';
import type { Frame, FrameSource } from '../capture/frame-source.js';
import type { Position, PositionLookup, PositionSource } from '../geo/position-source.js';
import type { Footprint } from '../geo/footprint.js';
import type { Preprocessed } from '../vision/preprocess-types.js';
import type { Classification } from '../vision/classifier.js';
import { topK } from '../vision/top-k.js';
import { RESULT_SCHEMA_VERSION, type Result } from '../publish/result-schema.js';
import type { Sink } from '../publish/sink.js';
import type { Logger } from '../platform/logger.js';
import { faultCodeOf } from '../platform/fieldeye-error.js';
import type { ResultClock } from './clock-reference.js';
import { PipelineMetrics, type PipelineSummary } from './metrics.js';

export interface PipelineIdentity {
  droneId: string;
  /** The flight id of frames that carry none of their own (a run not split by arming). */
  flightId: string;
  model: Result['model'];
}

export interface PipelineDeps {
  source: FrameSource;
  preprocess: (frame: Frame) => Promise<Preprocessed>;
  classify: (input: Float32Array | Uint8Array, dims: number[]) => Promise<Classification>;
  inputDims: number[];
  /** What the model reads: the normalised float32 tensor (default), or the crop's RGB bytes for a fused-input model. */
  modelInput?: (pre: Preprocessed) => Float32Array | Uint8Array;
  labels: readonly string[];
  topK: number;
  position: PositionSource;
  /** Where the camera looked on the ground, from the frame's position; absent = not computed (reason says so). */
  footprint?: (position: Position) => Footprint;
  sinks: Sink[];
  identity: PipelineIdentity;
  logger: Logger;
  /** Called with each result after it is handed to the sinks (progress, tests). */
  onResult?: (result: Result) => void;
  /** Counters to fill; pass one to read them while the flight runs (the health report does). */
  metrics?: PipelineMetrics;
  /** Aborting stops taking new frames; the frame in flight is finished and handed to the sinks. */
  signal?: AbortSignal;
  /** The time a result states for its frame and the clock it is on (ClockReference.stamp); default: the frame's own time. */
  stamp?: (frame: Frame) => { capturedAtMs: number; clock: ResultClock };
}

interface Prepared {
  frame: Frame;
  startedMs: number;
  pre: Preprocessed;
  /** Taken when the lookup starts, so the stated time and the looked-up time use the same clock offset. */
  stamped: { capturedAtMs: number; clock?: ResultClock };
  /** Still pending: a live lookup may wait for the fix after the frame, which must not hold up inference. */
  where: Promise<PositionLookup>;
}

// eslint-disable-next-line max-lines-per-function -- the stage loop itself: capture, preprocess, infer, geotag, publish in one readable place (issue 16 calls it the good core)
export async function runPipeline(deps: PipelineDeps): Promise<PipelineSummary> {
  const { logger, identity } = deps;
  const metrics = deps.metrics ?? new PipelineMetrics();
  const stageLog = {
    preprocess: logger.child({ stage: 'preprocess' }),
    classify: logger.child({ stage: 'classify' }),
    position: logger.child({ stage: 'position' }),
  };
  // One promise chain per sink keeps each sink's order by seq and never blocks the loop.
  const sinkChains = new Map<Sink, Promise<void>>(deps.sinks.map((s) => [s, Promise.resolve()]));

  const emit = (result: Result): void => {
    for (const sink of deps.sinks) {
      const chain = (sinkChains.get(sink) as Promise<void>).then(() =>
        sink.write(result).catch((err: Error) => {
          metrics.sinkFailed(sink.name, err);
          logger.error({ stage: `sink:${sink.name}`, seq: result.seq, err: err.message, fault: 'link' }, 'sink could not take result');
        }),
      );
      sinkChains.set(sink, chain);
    }
    deps.onResult?.(result);
  };

  const prepare = async (frame: Frame): Promise<Prepared | null> => {
    const startedMs = performance.now();
    let pre: Preprocessed;
    const stamped = deps.stamp?.(frame) ?? { capturedAtMs: frame.capturedAtMs };
    const where = deps.position
      .positionFor(frame)
      .catch((err: Error): PositionLookup => ({ position: null, reason: `position lookup failed: ${err.message}` }));
    try {
      pre = await deps.preprocess(frame);
    } catch (err) {
      metrics.frameFailed('preprocess', err);
      stageLog.preprocess.error({ seq: frame.seq, frame: frame.name, err: (err as Error).message, fault: faultCodeOf(err) }, 'frame skipped');
      return null;
    }
    return { frame, startedMs, pre, stamped, where };
  };

  const classify = async (p: Prepared): Promise<Classification | null> => {
    try {
      return await deps.classify(deps.modelInput ? deps.modelInput(p.pre) : p.pre.input, deps.inputDims);
    } catch (err) {
      metrics.frameFailed('classify', err);
      stageLog.classify.error({ seq: p.frame.seq, frame: p.frame.name, err: (err as Error).message, fault: faultCodeOf(err) }, 'frame skipped');
      return null;
    }
  };

  /** Joins a frame's classification with its position (whichever comes last) and hands the result on. */
  const assembleAndEmit = async (p: Prepared, classified: Promise<Classification | null>): Promise<void> => {
    const [out, where] = await Promise.all([classified, p.where]);
    if (!out) return;
    if (!where.position) stageLog.position.debug({ seq: p.frame.seq, reason: where.reason }, 'no position');
    const top = topK(out.logits, deps.topK, deps.labels);
    const timingsMs = {
      decode: p.pre.timingsMs.decode,
      preprocess: p.pre.timingsMs.preprocess,
      inference: out.inferenceMs,
      total: performance.now() - p.startedMs,
    };
    const result: Result = {
      schemaVersion: RESULT_SCHEMA_VERSION,
      droneId: identity.droneId,
      flightId: p.frame.flightId ?? identity.flightId,
      seq: p.frame.seq,
      capturedAt: new Date(p.stamped.capturedAtMs).toISOString(),
      timeSource: p.frame.timeSource,
      ...(p.stamped.clock ? { clock: p.stamped.clock } : {}),
      frame: { name: p.frame.name },
      position: where.position,
      positionReason: where.position ? null : where.reason,
      ...ground(where),
      top,
      model: identity.model,
      timingsMs,
    };
    metrics.resultDone(timingsMs, top[0]?.label ?? '', where.position !== null);
    emit(result);
  };

  const ground = (where: PositionLookup): Pick<Result, 'target' | 'footprint' | 'footprintReason'> => {
    if (!where.position) return { target: null, footprint: null, footprintReason: 'no position' };
    if (!deps.footprint) return { target: null, footprint: null, footprintReason: 'footprint not configured' };
    const fp = deps.footprint(where.position);
    return { target: fp.target, footprint: fp.footprint, footprintReason: fp.reason };
  };

  // Inference runs one frame at a time; results are assembled and emitted in seq order on their own
  // chain, so a frame waiting for its bracketing GPS fix never delays the next frame's inference.
  let inFlight: Promise<unknown> = Promise.resolve();
  let emitted: Promise<void> = Promise.resolve();
  // Wrappers (capture/frame-wrapper.ts) keep the inner source's counters, so the outermost source has them all.
  const drops = deps.source.dropCounts?.bind(deps.source);
  for await (const frame of deps.source.frames()) {
    if (deps.signal?.aborted) break;
    metrics.frames++;
    if (drops) metrics.setDropped(drops());
    const prepared = await prepare(frame);
    // Wait for the previous inference only now, so this frame's preprocessing overlapped it.
    await inFlight;
    if (!prepared) continue;
    const classified = classify(prepared);
    inFlight = classified;
    emitted = emitted.then(() => assembleAndEmit(prepared, classified));
  }
  await inFlight;
  await emitted;
  await Promise.all(sinkChains.values());
  if (drops) metrics.setDropped(drops());
  return metrics.summary();
}
