// The onnxruntime session options the pipeline's inference worker uses; benchmarks use the same, so their figures are what the pipeline gets.
import type { InferenceSession } from 'onnxruntime-node';

export function pipelineSessionOptions(intraOpThreads: number, allowSpinning = false): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Spinning pool threads between runs starve sharp and the main thread on a 2-4 core Pi.
    extra: { session: { intra_op: { allow_spinning: allowSpinning ? '1' : '0' } } },
  };
}
