// Echo worker for the Pi 4 frame count (pi4-frame-stages.ts, stage handoff): classify-worker.ts's message protocol
// and transfers without the onnxruntime session, so the count holds the hand-off between threads and no inference.
import { parentPort } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from '../src/vision/classifier-protocol.js';

const port = parentPort;
if (!port) throw new Error('pi4-echo-worker must run inside a worker thread');
const CLASSES = 1000;

port.on('message', (req: WorkerRequest) => {
  if (req.type === 'close') {
    port.close();
    return;
  }
  // As classify-worker: a typed view on the transferred buffer (what ort.Tensor wraps), then the logits copied into
  // a fresh buffer that is transferred back, not cloned.
  const input = new Float32Array(req.input);
  const copy = new Float32Array(CLASSES);
  copy[0] = input[0] ?? 0;
  const reply: WorkerReply = { type: 'result', id: req.id, logits: copy.buffer, dims: [1, CLASSES], inferenceMs: 0 };
  port.postMessage(reply, [copy.buffer]);
});
