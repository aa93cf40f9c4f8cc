// Messages between the Classifier (main thread) and classify-worker (its worker thread).

export interface WorkerInit {
  modelBytes: ArrayBuffer;
  inputName: string;
  outputName: string;
  intraOpThreads: number;
  allowSpinning: boolean;
}

export type WorkerRequest =
  | { type: 'run'; id: number; input: ArrayBuffer; dims: number[] }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; loadMs: number; inputNames: string[]; outputNames: string[] }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; logits: ArrayBuffer; dims: number[]; inferenceMs: number }
  | { type: 'error'; id: number; message: string };
