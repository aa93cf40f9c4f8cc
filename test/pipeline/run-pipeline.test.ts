// The stage loop's ordering guarantees, with in-memory stand-ins for source, preprocessing and classifier
// (this tests the loop, not the stages): a position lookup that waits for the next fix must not hold up
// inference of later frames, results still leave in seq order, and failures skip only their frame.
import { describe, expect, it } from 'vitest';
import { runPipeline, type PipelineDeps } from '../../src/pipeline/run-pipeline.js';
import type { Frame, FrameSource } from '../../src/capture/frame-source.js';
import type { PositionLookup, PositionSource } from '../../src/geo/position-source.js';
import type { Result } from '../../src/publish/result-schema.js';
import type { Sink } from '../../src/publish/sink.js';
import { silentLogger } from '../../src/platform/logger.js';

function framesSource(n: number): FrameSource {
  return {
    expectedCount: n,
    async *frames() {
      for (let seq = 0; seq < n; seq++)
        yield { seq, capturedAtMs: 1_700_000_000_000 + seq * 100, timeSource: 'sensor', bytes: Buffer.from([seq]), name: `f${seq}` } satisfies Frame;
    },
    async close() {},
  };
}

/** Lookups stay pending until release() is called: like a live fix that has not arrived yet. */
function heldPositions(): PositionSource & { release(): void; asked: number } {
  const waiting: Array<() => void> = [];
  const self = {
    asked: 0,
    positionFor(): Promise<PositionLookup> {
      self.asked++;
      return new Promise((resolve) => waiting.push(() => resolve({ position: null, reason: 'held' })));
    },
    release() {
      for (const w of waiting.splice(0)) w();
    },
    async close() {},
  };
  return self;
}

function deps(n: number, position: PositionSource, sink: Sink, classified: number[], failSeq = -1): PipelineDeps {
  return {
    source: framesSource(n),
    preprocess: async (frame) => {
      if (frame.seq === failSeq) throw new Error('corrupt');
      return {
        input: new Float32Array([frame.bytes[0] ?? 0]),
        crop: new Uint8Array(0),
        sourceWidth: 1,
        sourceHeight: 1,
        timingsMs: { decode: 0, preprocess: 0 },
      };
    },
    classify: async (input) => {
      classified.push(input[0] as number);
      return { logits: new Float32Array([0, input[0] as number]), dims: [1, 2], inferenceMs: 0 };
    },
    inputDims: [1, 1],
    labels: ['a', 'b'],
    topK: 1,
    position,
    sinks: [sink],
    identity: { droneId: 'd', flightId: 'f', model: { name: 'm', sha256: 'a'.repeat(64), precision: 'fp32' } },
    logger: silentLogger,
  };
}

function memorySink(): Sink & { results: Result[] } {
  const results: Result[] = [];
  return { name: 'memory', results, write: async (r) => void results.push(r), close: async () => {} };
}

describe('runPipeline', () => {
  it('keeps classifying while positions are still pending, then emits in seq order', async () => {
    const position = heldPositions();
    const sink = memorySink();
    const classified: number[] = [];
    const run = runPipeline(deps(20, position, sink, classified));
    // Every frame gets classified although no position has resolved yet.
    while (classified.length < 20) await new Promise((r) => setTimeout(r, 1));
    expect(sink.results).toHaveLength(0);
    position.release();
    const summary = await run;
    expect(summary.results).toBe(20);
    expect(sink.results.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(sink.results.every((r) => r.positionReason === 'held')).toBe(true);
  });

  it('a frame that fails preprocessing is skipped and counted; the others keep their seq', async () => {
    const position = heldPositions();
    const sink = memorySink();
    const run = runPipeline(deps(5, position, sink, [], 2));
    const release = setInterval(() => position.release(), 1);
    const summary = await run;
    clearInterval(release);
    expect(summary.failedByStage).toEqual({ preprocess: 1 });
    expect(sink.results.map((r) => r.seq)).toEqual([0, 1, 3, 4]);
  });
});
