// Calibration: runs the float model, with the tensors to quantize exposed as extra outputs, over preprocessed frames in-process, and gathers their histograms.
import * as ort from 'onnxruntime-node';
import { encodeModel, TensorDataType, type OnnxModel } from '../onnx/onnx-proto.js';
import { addGraphOutput } from '../onnx/onnx-graph.js';
import { ActivationHistogram } from './activation-histogram.js';
import { startProgress } from '../platform/progress.js';

/** Frames as a count and an on-demand loader: inputs are re-made for the second pass instead of holding hundreds of 600 kB tensors. */
export interface FrameInputs {
  count: number;
  /** float32 NCHW [1, C, H, W] of frame i. */
  load(i: number): Promise<Float32Array>;
  dims: number[];
}

export interface CalibrationStats {
  histograms: Map<string, ActivationHistogram>;
  frames: number;
  ms: number;
}

/** An in-process onnxruntime session for one-shot tools (calibration, accuracy reports): not for the flight loop, which keeps inference in a worker. */
export async function createToolSession(model: OnnxModel | Uint8Array, threads = 0): Promise<ort.InferenceSession> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

/**
 * Two passes over the frames with `tensors` as extra outputs of a copy of `model`: the first finds
 * each tensor's min and max, the second bins its values over that range. Returns one histogram per tensor.
 */
export async function collectActivationStats(model: OnnxModel, inputName: string, tensors: readonly string[], frames: FrameInputs): Promise<CalibrationStats> {
  const started = performance.now();
  const probe: OnnxModel = structuredClone(model);
  for (const t of tensors) addGraphOutput(probe.graph, t, TensorDataType.FLOAT);
  const session = await createToolSession(probe);
  const histograms = new Map(tensors.map((t) => [t, new ActivationHistogram()]));
  const progress = startProgress('calibration', 2 * frames.count);
  try {
    for (const pass of ['range', 'histogram'] as const) {
      for (let i = 0; i < frames.count; i++) {
        const input = new ort.Tensor('float32', await frames.load(i), frames.dims);
        const out = await session.run({ [inputName]: input }, [...tensors]);
        for (const t of tensors) {
          const v = out[t]?.data;
          if (!(v instanceof Float32Array)) throw new Error(`calibration: onnxruntime returned no float32 values for tensor "${t}"`);
          const h = histograms.get(t) as ActivationHistogram;
          if (pass === 'range') h.observeRange(v);
          else h.observeHistogram(v);
        }
        progress.tick();
      }
    }
  } finally {
    progress.done();
    await session.release();
  }
  return { histograms, frames: frames.count, ms: performance.now() - started };
}

/** Logits of `session` for every frame, in order. */
export async function runLogits(session: ort.InferenceSession, inputName: string, outputName: string, frames: FrameInputs): Promise<Float32Array[]> {
  const all: Float32Array[] = [];
  for (let i = 0; i < frames.count; i++) {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', await frames.load(i), frames.dims) });
    const v = out[outputName]?.data;
    if (!(v instanceof Float32Array)) throw new Error(`model has no float32 output named "${outputName}"`);
    all.push(Float32Array.from(v));
  }
  return all;
}
