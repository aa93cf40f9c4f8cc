// The end-of-flight coverage's blur check on a live camera: each frame's own exposure (what rpicam-vid reported under
// auto-exposure, or the fixed shutter) reaches its result's check through the frame source; frames without one are
// counted as not checkable, and nothing is guessed for recorded sources.
import { describe, expect, it } from 'vitest';
import { coverageAtEnd } from '../../src/app/coverage-at-end.js';
import type { Frame, FrameSource } from '../../src/capture/frame-source.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { Coverage } from '../../src/publish/coverage-schema.js';
import { groundResult } from '../ground/ground-samples.js';

const N = 24;
/** Auto-exposure as a camera might swing it: short on odd frames, long (40 ms) on even ones, none on the first two. */
const exposureOf = (seq: number): number | undefined => (seq < 2 ? undefined : seq % 2 === 1 ? 500 : 40_000);

function source(): FrameSource {
  return {
    async *frames(): AsyncIterable<Frame> {
      for (let seq = 0; seq < N; seq++) {
        const exposureUs = exposureOf(seq);
        yield { seq, capturedAtMs: 0, timeSource: 'sensor', bytes: Buffer.alloc(0), name: `f${seq}`, ...(exposureUs !== undefined ? { exposureUs } : {}) };
      }
    },
    close: async () => {},
  };
}

async function coverageOf(sourceConfig: Record<string, unknown>, live: boolean): Promise<Coverage> {
  const config = ConfigSchema.parse({ source: sourceConfig });
  const sent: Coverage[] = [];
  const coverage = coverageAtEnd(config, live, async (doc) => void sent.push(doc), silentLogger);
  // As in a flight: the pipeline takes each frame from the tapped source, and its result comes out after it.
  for await (const frame of coverage.tapFrames(source()).frames()) coverage.observe(groundResult('d1', 'f1', frame.seq));
  await coverage.publish();
  expect(sent).toHaveLength(1);
  return sent[0]!;
}

describe('coverage at the end of a live flight: blur from each frame’s exposure', () => {
  // groundResult: 10 m between frames 2 s apart (5 m/s), footprints about 11 m across on 420 px of a 640x480 frame's
  // crop (2.6 cm a pixel): 0.5 ms moves 2.5 mm, 40 ms moves 20 cm.
  const positioned = Array.from({ length: N }, (_, seq) => seq).filter((seq) => seq % 3 !== 2);

  it('flags exactly the frames whose own exposure smears more than a pixel', async () => {
    const doc = await coverageOf({ type: 'rpicam', widthPx: 640, heightPx: 480 }, true);
    const known = positioned.filter((seq) => exposureOf(seq) !== undefined);
    expect(doc.blur.checked).toBe(known.length);
    expect(doc.blur.blurred.seqs).toEqual(known.filter((seq) => exposureOf(seq) === 40_000));
    expect(doc.blur.notCheckable).toBe(positioned.length - known.length);
    expect(doc.blur.note).toMatch(/^blur not checkable for frames: 2 without a known exposure time/);
  });

  it('checks nothing for a source that is not a live camera', async () => {
    const doc = await coverageOf({ type: 'images', dir: 'frames' }, false);
    expect(doc.blur.checked).toBe(0);
    expect(doc.blur.blurred.count).toBe(0);
  });
});
