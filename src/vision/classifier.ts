// Main-thread handle on the inference worker: sends input tensors (transferred, not copied) and
// receives logits, so the event loop stays free while a frame is being classified.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { packageRoot } from '../platform/package-root.js';
import { FieldeyeError, type FaultCode } from '../platform/fieldeye-error.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './classifier-protocol.js';

export interface ClassifierOptions {
  modelBytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** onnxruntime intra-op threads; 0 = one per core. */
  intraOpThreads: number;
  /** Let onnxruntime's pool spin between runs (faster alone, starves everything else). Default false. */
  allowSpinning?: boolean;
}

export interface Classification {
  logits: Float32Array;
  dims: number[];
  inferenceMs: number;
}

/** Inference failures: 'model' when the model cannot run (load, a frame it refuses), 'internal' when the worker fails. */
export class ClassifierError extends FieldeyeError {
  override name = 'ClassifierError';

  constructor(message: string, code: FaultCode = 'internal') {
    super(code, message);
  }
}

/**
 * The worker is always compiled JavaScript: next to this file in a build, or in dist/ when this file
 * runs from source under vitest (npm test builds first). Node 20 cannot load a .ts worker.
 */
function workerEntry(): URL {
  const sibling = new URL('./classify-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = join(packageRoot(), 'dist', 'src', 'vision', 'classify-worker.js');
  if (existsSync(built)) return pathToFileURL(built);
  throw new ClassifierError(`inference worker not found (${built}): run \`npm run build\` first`);
}

export class Classifier {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (c: Classification) => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    readonly loadMs: number,
    readonly threads: number,
  ) {
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => this.failAll(new ClassifierError(`inference worker crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.closed) this.failAll(new ClassifierError(`inference worker exited unexpectedly (code ${code})`));
    });
  }

  static async create(options: ClassifierOptions): Promise<Classifier> {
    const threads = options.intraOpThreads > 0 ? options.intraOpThreads : availableParallelism();
    // Copy once into a buffer we can hand over; the caller keeps its own bytes. (Not .slice():
    // on a Node Buffer that is a view, and transferring its pooled ArrayBuffer would detach the caller's.)
    const modelBytes = new Uint8Array(options.modelBytes).buffer;
    const init: WorkerInit = {
      modelBytes,
      inputName: options.inputName,
      outputName: options.outputName,
      intraOpThreads: threads,
      allowSpinning: options.allowSpinning ?? false,
    };
    const worker = new Worker(workerEntry(), { workerData: init, transferList: [modelBytes] });
    const ready = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    }).catch((err: Error) => {
      throw new ClassifierError(`inference worker failed to start: ${err.message}`);
    });
    if (ready.type === 'failed') {
      await worker.terminate();
      throw new ClassifierError(`onnxruntime could not load the model: ${ready.message}`, 'model');
    }
    if (ready.type !== 'ready') throw new ClassifierError(`inference worker sent ${ready.type} before ready`);
    return new Classifier(worker, ready.loadMs, threads);
  }

  /**
   * Run one input: a float32 tensor, or uint8 RGB bytes for a fused-input model. `input`'s buffer
   * is transferred to the worker and is unusable afterwards; pass a copy if the caller still needs it.
   */
  classify(input: Float32Array | Uint8Array, dims: number[]): Promise<Classification> {
    if (this.closed) return Promise.reject(new ClassifierError('classifier is closed'));
    const id = this.nextId++;
    const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
    const buffer = (whole ? input.buffer : input.slice().buffer) as ArrayBuffer;
    return new Promise<Classification>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { type: 'run', id, input: buffer, dtype: input instanceof Uint8Array ? 'uint8' : 'float32', dims };
      this.worker.postMessage(req, [buffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
    this.failAll(new ClassifierError('classifier closed'));
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type !== 'result' && reply.type !== 'error') return;
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.type === 'error') waiter.reject(new ClassifierError(`inference failed: ${reply.message}`, 'model'));
    else waiter.resolve({ logits: new Float32Array(reply.logits), dims: reply.dims, inferenceMs: reply.inferenceMs });
  }

  private failAll(err: Error): void {
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }
}
