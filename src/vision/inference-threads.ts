// How many onnxruntime intra-op threads a flight's classifier gets: the configured number, or the split of cores that measured fastest end to end.
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';

/**
 * model.intraOpThreads, or for 0 (automatic) a split measured with bench/end-to-end-bench on 2 cores:
 * - raw yuv420 camera frames at model scale: every core (preprocessing is about 1 ms; inference is the cost);
 * - JPEG frames with an int8 model: one core fewer, so decoding and resizing (5-10 ms a frame in sharp)
 *   run beside inference instead of pre-empting one of its threads, which stalls every parallel section
 *   (int8: 102 frames/s with 1 inference thread against 80-95 with 2);
 * - JPEG frames with an FP32 model: every core (inference is 3-5 times the decoding; 1 thread lost 20-30 %).
 */
export function inferenceThreads(config: Pick<Config, 'model' | 'source'>, precision: 'fp32' | 'int8', cores = availableParallelism()): number {
  if (config.model.intraOpThreads > 0) return config.model.intraOpThreads;
  const rawAtModelScale = config.source.type === 'rpicam' && config.source.codec === 'yuv420';
  return rawAtModelScale || precision === 'fp32' ? cores : Math.max(1, cores - 1);
}
