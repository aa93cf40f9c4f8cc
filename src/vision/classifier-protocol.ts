// Messages between the Classifier (main thread) and classify-worker (its worker thread).

export interface WorkerInit {
  modelBytes: ArrayBuffer;
  inputName: string;
  outputName: string;
  intraOpThreads: number;
  allowSpinning: boolean;
}

export type WorkerRequest =
  // uint8: the crop's RGB bytes for a model whose input was fused (`fieldeye model fuse-input`).
  { type: 'run'; id: number; input: ArrayBuffer; dtype: 'float32' | 'uint8'; dims: number[] } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; loadMs: number; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; logits: ArrayBuffer; dims: number[]; inferenceMs: number }
  | { type: 'error'; id: number; message: string };
