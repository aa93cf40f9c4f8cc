// Each live frame's exposure time from rpicam-vid's --metadata stream, against a STAND-IN rpicam-vid (no camera here)
// that writes the stream as rpicam-apps does (through a buffered stream, so it comes in blocks a few frames late).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type RpicamSourceConfig } from '../../src/config/schema.js';
import { RpicamFrameSource } from '../../src/capture/rpicam-frame-source.js';
import type { Frame } from '../../src/capture/frame-source.js';
import { silentLogger } from '../../src/platform/logger.js';
import { makeMjpegFrames, standinEnv } from '../support/rpicam-standin.js';

function rpicam(over: Partial<RpicamSourceConfig>): RpicamSourceConfig {
  const { source } = ConfigSchema.parse({ source: { type: 'rpicam', codec: 'mjpeg', widthPx: 320, heightPx: 240, framerateFps: 30, ...over } });
  if (source.type !== 'rpicam') throw new Error('unreachable');
  return source;
}

async function frames(over: Partial<RpicamSourceConfig>, exposures: number[], n: number) {
  const standin = standinEnv(jpegDir);
  const env = { ...standin.env, STANDIN_EXPOSURE_US: exposures.join(',') };
  const source = await RpicamFrameSource.open({ config: rpicam(over), logger: silentLogger, env, maxFrames: n });
  const out: Frame[] = [];
  for await (const f of source.frames()) out.push(f);
  await source.close();
  return { frames: out, argv: standin.runs()[0]?.argv ?? [] };
}

let jpegDir: string;

beforeAll(() => {
  jpegDir = join(mkdtempSync(join(tmpdir(), 'fieldeye-exposure-')), 'mjpeg');
  makeMjpegFrames(jpegDir, 3);
});

describe('RpicamFrameSource: per-frame exposure with automatic exposure', () => {
  it("asks rpicam-vid for its metadata and gives each frame the camera's own exposure or the newest one before it", async () => {
    // Auto-exposure stepping every frame: 2,000 us + 100 x index, so each value names the frame it belongs to.
    const steps = Array.from({ length: 200 }, (_, k) => 2000 + 100 * k);
    const { frames: got, argv } = await frames({}, steps, 40);
    const pair = (name: string) => argv[argv.indexOf(name) + 1];
    expect([pair('--metadata')?.endsWith('metadata.fifo'), pair('--metadata-format')]).toEqual([true, 'json']);
    expect(argv).not.toContain('--shutter');
    const withExposure = got.filter((f) => f.exposureUs !== undefined);
    // The stream comes in 8 KiB blocks: the first frames go out before any object arrived, later ones all have one.
    expect(withExposure.length).toBeGreaterThan(15);
    expect(got.slice(-10).every((f) => f.exposureUs !== undefined)).toBe(true);
    for (const f of withExposure) {
      const index = Number(f.name.split('-')[2]);
      const from = ((f.exposureUs as number) - 2000) / 100;
      // A frame's exposure is its own or an earlier frame's, never a later one's, and never much older than a block
      // (8 KiB holds about 14 of the stand-in's objects; a loaded machine may read the stream a little later).
      expect(Number.isInteger(from), f.name).toBe(true);
      expect(from, f.name).toBeLessThanOrEqual(index);
      expect(index - from, f.name).toBeLessThanOrEqual(30);
    }
  });

  it('with a fixed shutter, that shutter on every frame and no metadata stream', async () => {
    const { frames: got, argv } = await frames({ shutterUs: 4000 }, [1234], 5);
    expect(argv).not.toContain('--metadata');
    expect(got.map((f) => f.exposureUs)).toEqual([4000, 4000, 4000, 4000, 4000]);
  });
});
