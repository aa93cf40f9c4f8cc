// Capture-to-tensor cost per frame, replaying recorded camera byte streams: raw yuv420 at model scale (what the
// ISP delivers for inference) vs MJPEG at 640x480, 1280x960 and 1920x1080 (the recording modes): stream splitting plus
// preprocessing into the model's input tensor, one frame at a time.
// Usage: npm run build && node dist/bench/capture-bench.js [--frames N] [--json FILE]   (needs Debian's ffmpeg)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { MjpegSplitter } from '../src/capture/mjpeg-splitter.js';
import { I420Splitter } from '../src/capture/i420-splitter.js';
import type { FrameSplitter } from '../src/capture/frame-splitter.js';
import type { Frame, RawFrameFormat } from '../src/capture/frame-source.js';
import { preprocessFrame } from '../src/vision/preprocess-frame.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../src/vision/model-card.js';
import { percentile } from '../src/pipeline/metrics.js';
import { packageRoot } from '../src/platform/package-root.js';

export interface CaptureRow {
  stream: string;
  frames: number;
  bytesPerFrame: number;
  p50Ms: number;
  p90Ms: number;
  fps: number;
}

const PHOTO = join(packageRoot(), 'test/fixtures/golden/images/seneca_0550_960x720.jpg');
const CHUNK = 64 * 1024;

/** A recorded stream: the photo panned slowly (so frames differ), encoded by ffmpeg as the camera would deliver it. */
function recordStream(dir: string, name: string, args: string[], frames: number): Buffer {
  const out = join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', PHOTO, '-frames:v', String(frames), ...args, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(out);
}

async function measure(stream: string, bytes: Buffer, splitter: FrameSplitter, raw: RawFrameFormat | undefined): Promise<CaptureRow> {
  const options = { mode: 'fast' as const, resizeShorterPx: 256, cropPx: 224, norm: { mean: IMAGENET_MEAN, std: IMAGENET_STD } };
  const times: number[] = [];
  let seq = 0;
  const started = performance.now();
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const t0 = performance.now();
    const done = splitter.push(bytes.subarray(at, at + CHUNK));
    let splitMs = performance.now() - t0;
    for (const frameBytes of done) {
      const t1 = performance.now();
      const frame: Frame = { seq: seq++, capturedAtMs: Date.now(), timeSource: 'sensor', bytes: frameBytes, name: stream, ...(raw ? { raw } : {}) };
      await preprocessFrame(frame, options);
      // The chunk's splitting cost goes to the first frame it completed.
      times.push(performance.now() - t1 + splitMs);
      splitMs = 0;
    }
  }
  splitter.end();
  const elapsed = performance.now() - started;
  times.sort((a, b) => a - b);
  return {
    stream,
    frames: times.length,
    bytesPerFrame: Math.round(bytes.length / Math.max(1, times.length)),
    p50Ms: percentile(times, 50),
    p90Ms: percentile(times, 90),
    fps: (times.length * 1000) / elapsed,
  };
}

export async function captureBench(frames: number): Promise<CaptureRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldeye-capture-bench-'));
  try {
    const pan = (w: number, h: number) => `scale=${w * 1.2}:${h * 1.2},crop=${w}:${h}:x='t*40':y=0`;
    const yuv = recordStream(dir, 'yuv.raw', ['-vf', `${pan(448, 256)},format=yuvj420p`, '-f', 'rawvideo'], frames);
    const rows = [
      await measure('yuv420 448x256 (model scale, raw)', yuv, new I420Splitter({ width: 448, height: 256, stride: 448 }), {
        format: 'i420',
        width: 448,
        height: 256,
        stride: 448,
      }),
    ];
    for (const [w, h] of [
      [640, 480],
      [1280, 960],
      [1920, 1080],
    ] as const) {
      const mjpeg = recordStream(dir, `m${w}.mjpeg`, ['-vf', pan(w, h), '-q:v', '4', '-f', 'mjpeg'], frames);
      rows.push(await measure(`mjpeg ${w}x${h}`, mjpeg, new MjpegSplitter(), undefined));
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function captureTable(rows: CaptureRow[]): string {
  const base = rows[0]?.p50Ms ?? 1;
  return [
    '| stream | frames | bytes/frame | capture-to-tensor p50 | p90 | frames/s | vs yuv420 |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.stream} | ${r.frames} | ${r.bytesPerFrame} | ${r.p50Ms.toFixed(2)} ms | ${r.p90Ms.toFixed(2)} ms | ${r.fps.toFixed(0)} | ${(r.p50Ms / base).toFixed(1)}x |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { frames: { type: 'string', default: '60' }, json: { type: 'string' } } });
  const rows = await captureBench(Number(values.frames));
  console.log(captureTable(rows));
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
}
