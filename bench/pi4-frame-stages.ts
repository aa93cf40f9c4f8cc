// Runs ON THE ARM64 NODE under qemu-aarch64 with the pi4-model counting plugin (pi4-bench.ts starts it): one
// non-inference stage of a frame, repeated, each repetition bracketed by the plugin's marker syscalls.
// Usage (emulated): node dist/bench/pi4-frame-stages.js <i420|handoff|encode|outbox> [N=3] [W=40] [info.json]
// Stages, as the pipeline does them for config/pi4.yaml (raw yuv420 448x256 from the ISP, FP32-input model):
//   i420     the camera pipe's bytes (64 KiB chunks) cut into a frame by I420Splitter, then preprocessFrame: the
//            centre crop's RGB and the normalised NCHW float tensor (preprocessFrame's raw branch, preprocessI420)
//   handoff  the tensor transferred to a worker thread and 1000 logits transferred back (an echo worker with
//            classify-worker's protocol: this measures the hand-off, never inference)
//   encode   top-5 of the logits, the Result object, encodeResult (schema validation + JSON text)
//   outbox   SqliteOutbox.append of the encoded result, resolved after its commit (needs better-sqlite3's
//            arm64 binary; the fsync's kernel time is not an instruction the plugin sees)
import { ftruncateSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { I420Splitter } from '../src/capture/i420-splitter.js';
// preprocessI420 is what preprocessFrame calls for a raw frame; preprocess-frame.js itself would load sharp (for encoded
// images), whose linux-arm64 build this node_modules lacks and the raw path never touches.
import { preprocessI420 } from '../src/vision/preprocess-i420.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/vision/model-card.js';
import { topK } from '../src/vision/top-k.js';
import { encodeResult } from '../src/publish/result-encoding.js';
import { RESULT_SCHEMA_VERSION, type Result } from '../src/publish/result-schema.js';
import type { WorkerReply, WorkerRequest } from '../src/vision/classifier-protocol.js';
import { packageRoot } from '../src/platform/package-root.js';

export const FRAME_STAGES = ['i420', 'handoff', 'encode', 'outbox'] as const;
export type FrameStage = (typeof FRAME_STAGES)[number];

const RAW = { format: 'i420' as const, width: 448, height: 256, stride: 448 };
const OPTIONS = { mode: 'fast' as const, resizeShorterPx: 256, cropPx: 224, norm: { mean: IMAGENET_MEAN, std: IMAGENET_STD } };
const CHUNK = 64 * 1024;
const CLASSES = 1000;

/** The plugin snapshots its counters on ftruncate(bad fd, 0x51AB0000 + k); the call fails with EBADF and does nothing else. */
function marker(k: number): void {
  try {
    ftruncateSync(0x7fffffff, 0x51ab0000 + k);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EBADF') throw e;
  }
}

/** A field-like frame: smooth luma gradients with texture and mid-grey chroma, different per seq so no frame repeats. */
function cameraBytes(seq: number): Buffer {
  const b = Buffer.alloc(RAW.stride * RAW.height * 1.5);
  for (let i = 0; i < RAW.stride * RAW.height; i++) b[i] = (((i % RAW.stride) + (i / RAW.stride) * 3 + seq * 7) ^ (i * 31)) & 0xff;
  for (let i = RAW.stride * RAW.height; i < b.length; i++) b[i] = 100 + ((i + seq) % 56);
  return b;
}

/** Logits with one clear winner, as a trained model gives them. */
function logitsFor(seq: number): Float32Array {
  const l = new Float32Array(CLASSES);
  for (let i = 0; i < CLASSES; i++) l[i] = Math.sin(i * 0.37 + seq) * 2;
  l[(seq * 13) % CLASSES] = 9;
  return l;
}

/** A result as the pipeline assembles it on the drone: MAVLink position with attitude, a footprint, GPS-disciplined clock. */
function resultFor(seq: number, top: Result['top']): Result {
  const lat = 41.0349 + seq * 0.00009;
  const ring: [number, number][] = [
    [-83.3056, lat - 0.0002],
    [-83.3048, lat - 0.0002],
    [-83.3048, lat + 0.0002],
    [-83.3056, lat + 0.0002],
    [-83.3056, lat - 0.0002],
  ];
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    droneId: 'drone-1',
    flightId: 'flight-20260604-134000',
    seq,
    capturedAt: new Date(Date.UTC(2026, 5, 4, 13, 40, 0) + seq * 100).toISOString(),
    timeSource: 'sensor',
    clock: { source: 'gps', synchronised: true, systemMinusGpsMs: 3.2 },
    frame: { name: `frame-${seq}` },
    position: {
      latDeg: lat,
      lonDeg: -83.3052,
      altMslM: 276.2,
      altAglM: 60,
      source: 'mavlink',
      fixType: 3,
      hdop: 0.8,
      satellites: 14,
      sampleAgeMs: 12,
      courseDeg: 87.5,
      attitude: { rollDeg: 1.2, pitchDeg: -0.8, yawDeg: 87.1 },
    },
    positionReason: null,
    target: { latDeg: lat, lonDeg: -83.3052 },
    footprint: { type: 'Polygon', coordinates: [ring] },
    footprintReason: null,
    top,
    model: { name: 'resnet18-synth-seed1-int8', sha256: 'a'.repeat(64), precision: 'int8' },
    timingsMs: { decode: 0, preprocess: 9.5, inference: 230.4, total: 251.7 },
  };
}

/** One stage: `prepare` runs outside the bracket (inputs another stage made), `step` inside it. */
interface StageRun {
  prepare?: (seq: number) => void;
  step: (seq: number) => Promise<void>;
  close: () => Promise<void>;
}

/** The classifier's side of the hand-off (Classifier.classify): transfer the tensor's buffer, await the logits. */
async function handoffStage(): Promise<StageRun> {
  const worker = new Worker(new URL('./pi4-echo-worker.js', import.meta.url));
  const pending = new Map<number, (r: WorkerReply) => void>();
  worker.on('message', (r: WorkerReply) => {
    if ((r.type === 'result' || r.type === 'error') && pending.has(r.id)) pending.get(r.id)?.(r);
  });
  // The tensor is preprocessing's (stage i420); its buffer is detached by the transfer, so each frame gets a new one.
  let input = new Float32Array(0);
  const prepare = (): void => {
    input = new Float32Array(3 * 224 * 224);
  };
  const step = async (seq: number): Promise<void> => {
    const reply = await new Promise<WorkerReply>((resolve) => {
      pending.set(seq, resolve);
      const req: WorkerRequest = { type: 'run', id: seq, input: input.buffer as ArrayBuffer, dtype: 'float32', dims: [1, 3, 224, 224] };
      worker.postMessage(req, [input.buffer as ArrayBuffer]);
    });
    pending.delete(seq);
    if (reply.type !== 'result' || new Float32Array(reply.logits).length !== CLASSES) throw new Error(`echo worker: unexpected reply ${reply.type}`);
  };
  return { prepare, step, close: () => worker.terminate().then(() => undefined) };
}

/**
 * node_modules' better-sqlite3 holds the x86-64 addon (the host's tests need it). The outbox stage resolves the
 * package to the arm64 copy bench/pi4-arm64-sqlite.sh cross-built (PI4_BETTER_SQLITE3, its folder) through a
 * resolve hook, registered before sqlite-outbox.js is first imported; the other stages never load it.
 */
function useArm64Sqlite(): void {
  const pkg = process.env['PI4_BETTER_SQLITE3'];
  if (!pkg) throw new Error('outbox: PI4_BETTER_SQLITE3 (the arm64 better-sqlite3 folder) is not set');
  const hook = [
    'let target;',
    'export function initialize(url) { target = url; }',
    "export function resolve(s, c, next) { return s === 'better-sqlite3' ? { url: target, format: 'commonjs', shortCircuit: true } : next(s, c); }",
  ].join('\n');
  register(`data:text/javascript,${encodeURIComponent(hook)}`, { data: pathToFileURL(join(pkg, 'lib', 'index.js')).href });
}

async function stageRun(stage: FrameStage, labels: string[]): Promise<StageRun> {
  const none = (): Promise<void> => Promise.resolve();
  if (stage === 'i420') {
    const splitter = new I420Splitter(RAW);
    let bytes: Buffer = Buffer.alloc(0);
    return {
      // The camera's bytes are made outside the bracket: rpicam-vid's pipe delivers them.
      prepare: (seq) => {
        bytes = cameraBytes(seq);
      },
      step: () => {
        let frame: Buffer | undefined;
        for (let at = 0; at < bytes.length; at += CHUNK) frame = splitter.push(bytes.subarray(at, at + CHUNK))[0] ?? frame;
        if (!frame) throw new Error('i420: the splitter gave no frame');
        const pre = preprocessI420(frame, RAW, OPTIONS);
        if (pre.input.length !== 3 * 224 * 224) throw new Error('i420: wrong tensor size');
        return Promise.resolve();
      },
      close: none,
    };
  }
  if (stage === 'handoff') return handoffStage();
  if (stage === 'encode') {
    return {
      step: (seq) => {
        const text = encodeResult(resultFor(seq, topK(logitsFor(seq), 5, labels)));
        if (text.length < 100) throw new Error('encode: short payload');
        return Promise.resolve();
      },
      close: none,
    };
  }
  useArm64Sqlite();
  const { SqliteOutbox } = await import('../src/publish/sqlite-outbox.js');
  const { silentLogger } = await import('../src/platform/logger.js');
  const dir = mkdtempSync(join(tmpdir(), 'pi4-outbox-'));
  const outbox = SqliteOutbox.open({ path: join(dir, 'outbox.sqlite'), maxMessages: 100_000, maxAgeS: 0 }, silentLogger);
  let payload = '';
  return {
    // The payload is encoded outside the bracket (stage encode): only the append and its commit are this stage's.
    prepare: (seq) => {
      payload = encodeResult(resultFor(seq, topK(logitsFor(seq), 5, labels)));
    },
    step: (seq) => outbox.append({ topic: 'fieldeye/drone-1/results', flightId: 'flight-20260604-134000', seq, payload }),
    close: () => {
      outbox.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function main(): Promise<void> {
  const [stageArg, nArg, wArg, infoOut] = process.argv.slice(2);
  const stage = stageArg as FrameStage;
  if (!FRAME_STAGES.includes(stage)) throw new Error(`pi4-frame-stages: stage must be one of ${FRAME_STAGES.join(', ')}, received ${stageArg}`);
  const n = Number(nArg ?? 3);
  const w = Number(wArg ?? 40);
  const labels = readFileSync(join(packageRoot(), 'models', 'imagenet-labels.txt'), 'utf8')
    .trim()
    .split('\n');
  const s = await stageRun(stage, labels);
  // Warm-ups first, so V8 has optimised the hot loops as it would have minutes into a flight.
  for (let i = 0; i < w; i++) {
    s.prepare?.(i);
    await s.step(i);
  }
  const emulatedMs: number[] = [];
  for (let i = 0; i < n; i++) {
    s.prepare?.(w + i);
    const t = performance.now();
    marker(2 * i);
    await s.step(w + i);
    marker(2 * i + 1);
    emulatedMs.push(performance.now() - t);
  }
  await s.close();
  const info = {
    stage,
    N: n,
    W: w,
    T: 1,
    arch: process.arch,
    node: process.version,
    emulated_run_ms: emulatedMs,
    input: { name: stage, type: 'stage', shape: [] },
  };
  if (infoOut) writeFileSync(infoOut, JSON.stringify(info, null, 1));
  console.log(JSON.stringify(info));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
