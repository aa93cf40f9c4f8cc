// The automatic split of cores between inference and decoding: every core for raw camera frames and FP32 models, one fewer for JPEG frames with an int8 model, the configured number when set.
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { inferenceThreads } from '../../src/vision/inference-threads.js';

const config = (input: object) => ConfigSchema.parse(input);

describe('inferenceThreads', () => {
  it('gives raw yuv420 camera frames and FP32 models every core, JPEG frames with int8 one core fewer (at least one)', () => {
    expect(inferenceThreads(config({ source: { type: 'rpicam', codec: 'yuv420' } }), 'int8', 4)).toBe(4);
    expect(inferenceThreads(config({ source: { type: 'rpicam', codec: 'mjpeg' } }), 'int8', 4)).toBe(3);
    expect(inferenceThreads(config({ source: { type: 'rpicam', codec: 'mjpeg' } }), 'fp32', 4)).toBe(4);
    expect(inferenceThreads(config({ source: { type: 'images', dir: 'x' } }), 'int8', 2)).toBe(1);
    expect(inferenceThreads(config({ source: { type: 'images', dir: 'x' } }), 'fp32', 2)).toBe(2);
    expect(inferenceThreads(config({ source: { type: 'images', dir: 'x' } }), 'int8', 1)).toBe(1);
  });

  it('uses model.intraOpThreads when it is set', () => {
    expect(inferenceThreads(config({ source: { type: 'rpicam', codec: 'yuv420' }, model: { intraOpThreads: 2 } }), 'int8', 4)).toBe(2);
    expect(inferenceThreads(config({ source: { type: 'images', dir: 'x' }, model: { intraOpThreads: 3 } }), 'fp32', 2)).toBe(3);
  });
});
