// RpicamFrameSource against a STAND-IN rpicam-vid (no camera here): real MJPEG and I420 streams, sensor timestamps, crashes, hangs, a missing camera, drops.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type RpicamSourceConfig } from '../../src/config/schema.js';
import { RpicamFrameSource, type RpicamFrameSourceOptions } from '../../src/capture/rpicam-frame-source.js';
import { LatestFrameSlot } from '../../src/capture/latest-frame-slot.js';
import { findRpicamVid } from '../../src/capture/rpicam-command.js';
import type { Frame } from '../../src/capture/frame-source.js';
import { silentLogger } from '../../src/platform/logger.js';
import { makeI420Frames, makeMjpegFrames, standinEnv } from '../support/rpicam-standin.js';

function rpicam(over: Partial<RpicamSourceConfig>): RpicamSourceConfig {
  const { source } = ConfigSchema.parse({ source: { type: 'rpicam', ...over } });
  if (source.type !== 'rpicam') throw new Error('unreachable');
  return source;
}

/** A source on the stand-in, with the frames in `dir` and the per-run plan given. */
async function openStandin(dir: string, plan: string, over: Partial<RpicamSourceConfig>, extra: Partial<RpicamFrameSourceOptions> = {}) {
  const standin = standinEnv(dir, plan);
  const source = await RpicamFrameSource.open({ config: rpicam(over), logger: silentLogger, env: standin.env, ...extra });
  return { standin, source };
}

async function take(source: RpicamFrameSource, n: number, pauseMs = 0): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of source.frames()) {
    out.push(f);
    if (out.length === n) break;
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return out;
}

let work: string;
let jpegDir: string;
let jpegs: Buffer[];
let yuvDir: string;
let yuvs: Buffer[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-rpicam-'));
  jpegDir = join(work, 'mjpeg');
  jpegs = makeMjpegFrames(jpegDir, 4);
  yuvDir = join(work, 'yuv');
  // 448 wide rows padded to 512 bytes: stride > width, as the ISP gives for widths that are not multiples of 64.
  yuvs = makeI420Frames(yuvDir, 3, 448, 256, 512);
});

describe('RpicamFrameSource with a stand-in rpicam-vid', () => {
  it('finds rpicam-vid on PATH (and says clearly when neither it nor libcamera-vid is there)', () => {
    const { env } = standinEnv(jpegDir);
    expect(findRpicamVid('', env)).toMatch(/rpicam-standin\/rpicam-vid$/);
    expect(() => findRpicamVid('', { PATH: work })).toThrow(/neither rpicam-vid nor libcamera-vid is on PATH/);
  });

  it('yuv420, stride wider than width: whole frames in order, raw layout attached, sensor timestamps', async () => {
    const { source } = await openStandin(
      yuvDir,
      'normal',
      { codec: 'yuv420', widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 30 },
      { maxFrames: 7 },
    );
    const frames = await take(source, 7);
    await source.close();
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Nothing is dropped while the consumer keeps up, so the stand-in's cycle shows through: 0,1,2,0,1,...
    for (const [i, f] of frames.entries()) {
      expect(f.bytes.equals(yuvs[Number(f.name.split('-')[2]) % yuvs.length] as Buffer), f.name).toBe(true);
      expect(f.raw).toEqual({ format: 'i420', width: 448, height: 256, stride: 512 });
      expect(f.timeSource).toBe('sensor');
      if (i > 0) expect(f.capturedAtMs).toBeGreaterThanOrEqual((frames[i - 1] as Frame).capturedAtMs);
    }
    expect(Math.abs((frames[0] as Frame).capturedAtMs - Date.now())).toBeLessThan(60_000);
  });

  it('spawns without a shell, with every configured setting as its own argument', async () => {
    const standin = standinEnv(jpegDir);
    const tuning = join(work, 'my tuning $(touch pwned).json');
    const source = await RpicamFrameSource.open({
      config: rpicam({
        codec: 'mjpeg',
        widthPx: 640,
        heightPx: 480,
        framerateFps: 25,
        cameraIndex: 1,
        shutterUs: 8000,
        gain: 2.5,
        awb: 'daylight',
        denoise: 'cdn_fast',
        hflip: true,
        vflip: true,
        rotationDeg: 180,
        tuningFile: tuning,
      }),
      logger: silentLogger,
      env: standin.env,
    });
    await take(source, 1);
    await source.close();
    const argv = standin.runs()[0]?.argv ?? [];
    const pair = (name: string) => argv[argv.indexOf(name) + 1];
    expect(argv.slice(0, 5)).toEqual(['-t', '0', '-n', '-o', '-']);
    expect([pair('--codec'), pair('--camera'), pair('--width'), pair('--height'), pair('--framerate')]).toEqual(['mjpeg', '1', '640', '480', '25']);
    expect([pair('--shutter'), pair('--gain'), pair('--awb'), pair('--denoise'), pair('--rotation')]).toEqual(['8000us', '2.5', 'daylight', 'cdn_fast', '180']);
    expect(argv).toContain('--hflip');
    expect(argv).toContain('--vflip');
    expect(argv).toContain('--flush');
    expect(pair('--save-pts')).toMatch(/pts\.fifo$/);
    expect(pair('--tuning-file')).toBe(tuning);
  });

  it('mjpeg with garbage between frames: whole JPEGs, in order', async () => {
    const { source } = await openStandin(jpegDir, 'garbage', { codec: 'mjpeg', framerateFps: 30 });
    const frames = await take(source, 6);
    await source.close();
    for (const f of frames) {
      const k = Number(f.name.split('-')[2]);
      expect(f.bytes.equals(jpegs[k % jpegs.length] as Buffer), f.name).toBe(true);
      expect(f.raw).toBeUndefined();
    }
  });

  it('restarts rpicam-vid after a crash mid-frame; the cut frame is counted as truncated', async () => {
    const { standin, source } = await openStandin(jpegDir, 'crash-after:2,normal', { codec: 'mjpeg', framerateFps: 30, restartMinMs: 10 });
    const frames = await take(source, 5);
    const health = source.health();
    await source.close();
    expect(frames.map((f) => f.name.split('-')[1])).toContain('2'); // frames from the second run
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(health.restarts).toBe(1);
    expect(health.drops.truncated).toBe(1);
    expect(health.lastExit).toMatch(/exit code 255.*simulated crash/);
    expect(standin.runs()).toHaveLength(2);
  });

  it('restarts a hung rpicam-vid (alive, silent, deaf to SIGINT) after stallTimeoutMs', async () => {
    const { source } = await openStandin(jpegDir, 'hang-after:2,normal', { codec: 'mjpeg', framerateFps: 30, stallTimeoutMs: 400, restartMinMs: 10 });
    const frames = await take(source, 4);
    const health = source.health();
    await source.close();
    expect(frames.some((f) => f.name.startsWith('rpicam-2-'))).toBe(true);
    expect(health.restarts).toBe(1);
    expect(health.lastExit).toMatch(/stalled: no frame for/);
  }, 20_000);

  it('a missing camera at start is a clear error, not a restart loop', async () => {
    const standin = standinEnv(jpegDir, 'no-camera');
    await expect(RpicamFrameSource.open({ config: rpicam({}), logger: silentLogger, env: standin.env })).rejects.toThrow(
      /no camera found by .*rpicam-vid: ".*ERROR: \*\*\* no cameras available \*\*\*"; check the camera cable/,
    );
    expect(standin.runs()).toHaveLength(1);
  });

  it('a camera lost mid-flight raises the health flag and is retried at the slow pace, without throwing', async () => {
    const { standin, source } = await openStandin(jpegDir, 'crash-after:1,no-camera,no-camera,normal', {
      codec: 'mjpeg',
      framerateFps: 30,
      restartMinMs: 10,
      restartMaxMs: 300,
    });
    const seen = new Set<string>();
    // Sampled, not timed: the missing state lasts two slow retries (2 x restartMaxMs), far longer than 10 ms.
    const sampler = setInterval(() => {
      const h = source.health();
      seen.add(`${h.state}:${h.cameraPresent}`);
    }, 10);
    for await (const f of source.frames()) {
      if (f.name.startsWith('rpicam-4-')) break;
    }
    clearInterval(sampler);
    const after = source.health();
    await source.close();
    expect(standin.runs()).toHaveLength(4);
    expect(after.restarts).toBe(3);
    expect(seen.has('camera-missing:false')).toBe(true);
    expect(after.cameraPresent).toBe(true);
    expect(after.state).toBe('streaming');
  }, 20_000);

  it('latest wins: while the consumer is busy, newer frames replace the waiting one and are counted', async () => {
    const drops: string[] = [];
    const { source } = await openStandin(jpegDir, 'normal', { codec: 'mjpeg', framerateFps: 60 }, { onDrop: (reason) => drops.push(reason) });
    const frames = await take(source, 4, 250);
    await source.close();
    const indices = frames.map((f) => Number(f.name.split('-')[2]));
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    const skipped = (indices.at(-1) as number) - (indices[0] as number) + 1 - indices.length;
    expect(skipped).toBeGreaterThan(0);
    expect(source.dropCounts()['classifier-busy']).toBeGreaterThanOrEqual(skipped);
    expect(drops.filter((d) => d === 'classifier-busy')).toHaveLength(source.dropCounts()['classifier-busy']);
  });
});

describe('LatestFrameSlot', () => {
  it('keeps only the newest waiting value and reports each one it replaces', async () => {
    const replaced: number[] = [];
    const slot = new LatestFrameSlot<number>((v) => replaced.push(v));
    slot.put(1);
    slot.put(2);
    slot.put(3);
    expect(await slot.take()).toBe(3);
    expect(replaced).toEqual([1, 2]);
    const pending = slot.take();
    slot.put(4);
    expect(await pending).toBe(4);
    slot.close();
    expect(await slot.take()).toBeNull();
  });
});
