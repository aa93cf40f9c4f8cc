// The one way to wrap a FrameSource (thermal cap, flight sessions, recorder, previews): frames pass a step that may
// change or drop them, and the wrapper keeps what the inner source knows: expectedCount, dropCounts and close.
import type { Frame, FrameSource } from './frame-source.js';

export interface FrameWrapperOptions {
  /**
   * Each frame in order: return it (possibly changed) to pass it on, or null to drop it. May be async (the recorder
   * writes before passing a frame on).
   */
  step: (frame: Frame) => Frame | null | Promise<Frame | null>;
  /** This wrapper's own drops, added to the inner source's (e.g. `{ thermal: n }`). */
  drops?: () => Readonly<Record<string, number>>;
}

export function wrapFrames(inner: FrameSource, options: FrameWrapperOptions): FrameSource {
  const wrapped: FrameSource = {
    async *frames(): AsyncIterable<Frame> {
      for await (const frame of inner.frames()) {
        const out = await options.step(frame);
        if (out !== null) yield out;
      }
    },
    close: () => inner.close(),
  };
  // A getter, not a copy: a live source learns its count only as it goes.
  if (inner.expectedCount !== undefined) Object.defineProperty(wrapped, 'expectedCount', { get: () => inner.expectedCount, enumerable: true });
  const own = options.drops;
  if (inner.dropCounts || own) wrapped.dropCounts = () => ({ ...(inner.dropCounts?.() ?? {}), ...(own?.() ?? {}) });
  return wrapped;
}
