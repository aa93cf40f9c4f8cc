// Worker thread that owns the onnxruntime session: session.run() blocks the thread it runs on for the
// whole inference, so it must never run on the main thread (MQTT keepalives, watchdog, camera reads).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { WorkerInit, WorkerReply, WorkerRequest } from './classifier-protocol.js';
import { pipelineSessionOptions } from './session-options.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('classify-worker must run inside a worker thread');

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(reply, transfer);
}

async function main(): Promise<void> {
  const started = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(init.modelBytes), pipelineSessionOptions(init.intraOpThreads, init.allowSpinning));
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message });
    return;
  } finally {
    // onnxruntime keeps its own parsed copy; workerData would otherwise pin the whole .onnx file for the worker's life (46 MB for FP32 ResNet-18).
    init.modelBytes = new ArrayBuffer(0);
  }
  post({
    type: 'ready',
    loadMs: performance.now() - started,
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
  });

  port?.on('message', (req: WorkerRequest) => {
    if (req.type === 'close') {
      void session.release().finally(() => port.close());
      return;
    }
    void (async () => {
      try {
        const input =
          req.dtype === 'uint8'
            ? new ort.Tensor('uint8', new Uint8Array(req.input), req.dims)
            : new ort.Tensor('float32', new Float32Array(req.input), req.dims);
        const t0 = performance.now();
        const out = await session.run({ [init.inputName]: input });
        const inferenceMs = performance.now() - t0;
        const logits = out[init.outputName];
        if (!logits) throw new Error(`model has no output named "${init.outputName}"`);
        const data = logits.data as Float32Array;
        // Copy into a fresh buffer we own so it can be transferred, not cloned.
        const copy = new Float32Array(data.length);
        copy.set(data);
        post({ type: 'result', id: req.id, logits: copy.buffer, dims: [...logits.dims], inferenceMs }, [copy.buffer]);
      } catch (err) {
        post({ type: 'error', id: req.id, message: (err as Error).message });
      }
    })();
  });
}

void main();
