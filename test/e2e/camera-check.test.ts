// `fieldeye camera check` against a STAND-IN rpicam-vid on PATH (no camera here): listing, frame size, measured fps, snapshot.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';

let work: string;
let yuvDir: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-camera-check-'));
  yuvDir = join(work, 'yuv');
  makeI420Frames(yuvDir, 2, 448, 256, 512);
});

describe('fieldeye camera check with a stand-in rpicam-vid', () => {
  it('lists the camera, streams, prints size and fps, and writes a decodable snapshot of the configured size', async () => {
    const standin = standinEnv(yuvDir);
    const config = join(work, 'cam.yaml');
    writeFileSync(config, 'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 20 }\n');
    const snapshot = join(work, 'snap.jpg');
    const run = await runCli(['camera', 'check', '--config', config, '--seconds', '1', '--snapshot', snapshot], standin.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/0 : imx708 \[4608x2592 10-bit RGGB\]/);
    expect(run.stdout).toMatch(/frame size: 448x256/);
    expect(run.stdout).toMatch(/codec: yuv420 \(stride 512 bytes\)/);
    expect(run.stdout).toMatch(/frames: [1-9]\d* in \d+\.\d s = \d+\.\d fps measured \(asked for 20\)/);
    expect(run.stdout).toMatch(/time source: sensor/);
    const meta = await sharp(snapshot).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 448, 256]);
  });

  it('no camera: says so with what to check, exits non-zero', async () => {
    const standin = standinEnv(yuvDir, 'no-camera');
    const run = await runCli(['camera', 'check', '--seconds', '1', '--snapshot', join(work, 'none.jpg')], standin.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/No cameras available!\nno camera: check the ribbon cable/);
  });
});
