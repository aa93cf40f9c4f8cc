// Test helper: frames for the stand-in rpicam-vid (test/support/rpicam-standin/rpicam-vid), made by Debian's ffmpeg, and its environment.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Folder holding the stand-in `rpicam-vid`; put it first on PATH. */
export const STANDIN_BIN = resolve(import.meta.dirname, 'rpicam-standin');

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Real JPEGs (ffmpeg's mjpeg encoder, moving test pattern) in dir/fNNN.jpg; returns their bytes in order. */
export function makeMjpegFrames(dir: string, count: number, width = 640, height = 480): Buffer[] {
  mkdirSync(dir, { recursive: true });
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=10`, '-frames:v', String(count), '-q:v', '4', join(dir, 'f%03d.jpg')]);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .map((n) => readFileSync(join(dir, n)));
}

/**
 * Raw I420 frames in dir/fNNN.yuv with rows padded to `stride` (padding bytes 0xEE, as junk the ISP might
 * leave), from ffmpeg's yuv420p output in full range (what rpicam-vid emits). Returns the padded frames.
 */
export function makeI420Frames(dir: string, count: number, width: number, height: number, stride: number, source?: string): Buffer[] {
  mkdirSync(dir, { recursive: true });
  const tight = join(dir, 'tight.raw');
  const input = source ? ['-i', source] : ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=10`];
  ffmpeg([
    ...input,
    '-frames:v',
    String(count),
    '-vf',
    `scale=${width}:${height}:out_range=full:out_color_matrix=bt601,format=yuvj420p`,
    '-f',
    'rawvideo',
    tight,
  ]);
  const raw = readFileSync(tight);
  rmSync(tight);
  const frameTight = (width * height * 3) / 2;
  const frames: Buffer[] = [];
  for (let f = 0; f * frameTight < raw.length; f++) {
    frames.push(padRows(raw.subarray(f * frameTight, (f + 1) * frameTight), width, height, stride));
    writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.yuv`), frames[f] as Buffer);
  }
  return frames;
}

/** A tightly packed I420 frame re-laid with `stride` bytes per luma row (stride / 2 per chroma row). */
export function padRows(tight: Buffer, width: number, height: number, stride: number): Buffer {
  const out = Buffer.alloc(stride * height * 1.5, 0xee);
  for (let y = 0; y < height; y++) tight.copy(out, y * stride, y * width, (y + 1) * width);
  const cw = width / 2;
  const cs = stride / 2;
  for (let p = 0; p < 2; p++) {
    const from = width * height + p * cw * (height / 2);
    const to = stride * height + p * cs * (height / 2);
    for (let y = 0; y < height / 2; y++) tight.copy(out, to + y * cs, from + y * cw, from + (y + 1) * cw);
  }
  return out;
}

export interface StandinEnv {
  env: NodeJS.ProcessEnv;
  /** argv of every run so far. */
  runs(): Array<{ run: number; argv: string[] }>;
}

/** Environment that makes the stand-in the `rpicam-vid` on PATH, with the frames and per-run plan given. */
export function standinEnv(framesDir: string, plan = 'normal'): StandinEnv {
  const work = mkdtempSync(join(tmpdir(), 'fieldeye-standin-'));
  const log = join(work, 'runs.jsonl');
  return {
    env: {
      ...process.env,
      PATH: `${STANDIN_BIN}${delimiter}${process.env['PATH'] ?? ''}`,
      STANDIN_FRAMES: framesDir,
      STANDIN_PLAN: plan,
      STANDIN_STATE: join(work, 'runs'),
      STANDIN_LOG: log,
    },
    runs: () => {
      let text: string;
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { run: number; argv: string[] });
    },
  };
}
