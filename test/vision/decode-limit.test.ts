// Decompression bombs: one pixel limit (model.maxImageMegapixels) guards every decoding path, fast and exact, in
// `fieldeye run` and in the dashboard's try-a-photo; the error names the image's size and the limit.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '../../src/vision/preprocess.js';
import { ImageTooLargeError } from '../../src/vision/preprocess-errors.js';
import type { PreprocessOptions } from '../../src/vision/preprocess-types.js';
import { generatedModelsDir } from '../../src/app/resolve-model.js';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { startDashboardCli } from '../dashboard/dashboard-cli.js';
import { writePngBomb } from '../support/png-bomb.js';
import { runCli } from '../support/run-cli.js';

const work = mkdtempSync(join(tmpdir(), 'fieldeye-bomb-'));
let bomb: Buffer;
let huge: Buffer;
const bombPath = join(work, 'frames', 'f1-bomb.png');

beforeAll(async () => {
  mkdirSync(join(work, 'frames'));
  bomb = await writePngBomb(bombPath, 16000, 16000);
  huge = await writePngBomb(join(work, 'huge.png'), 30000, 30000);
  const ordinary = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 40, g: 120, b: 40 } } })
    .jpeg()
    .toBuffer();
  for (const name of ['f0.jpg', 'f2.jpg']) await sharp(ordinary).toFile(join(work, 'frames', name));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const options = (mode: PreprocessOptions['mode']): PreprocessOptions => ({
  mode,
  resizeShorterPx: 256,
  cropPx: 224,
  norm: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
});

describe('the decode pixel limit', () => {
  it('a 0.75 MB PNG of 16000x16000 is refused before decoding, in fast and in exact mode, naming its size and the limit', async () => {
    expect(bomb.length).toBeLessThan(1_000_000);
    for (const mode of ['fast', 'exact'] as const) {
      const attempt = preprocessImage(bomb, options(mode));
      await expect(attempt).rejects.toBeInstanceOf(ImageTooLargeError);
      await expect(attempt).rejects.toThrow('image too large to decode: 16000x16000 = 256.0 MP exceeds the limit of 64.0 MP (model.maxImageMegapixels)');
    }
    // The limit is the configured one: a lower one refuses an ordinary 0.3 MP frame, naming it.
    const small = readFileSync(join(work, 'frames', 'f0.jpg'));
    await expect(preprocessImage(small, { ...options('fast'), maxInputPixels: 100_000 })).rejects.toThrow('640x480 = 0.3 MP exceeds the limit of 0.1 MP');
  });

  it('fieldeye run: the bomb frame fails with the reason, the frames around it are classified', async () => {
    const config = join(work, 'run.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, `source: { type: images, dir: ${join(work, 'frames')} }\nposition: { type: none }\nsinks: { mqtt: { enabled: false } }\n`);
    const out = join(work, 'results.jsonl');
    const run = await runCli(['run', '--config', config, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const results = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { frame: { name: string } });
    expect(results.map((r) => r.frame.name)).toEqual(['f0.jpg', 'f2.jpg']);
    expect(run.stdout).toContain('image too large to decode: 16000x16000 = 256.0 MP exceeds the limit of 64.0 MP');
    expect(run.stdout).toMatch(/frames failed\s+\|\s+\S+ 1/);
  }, 120_000);

  it("the dashboard's try-a-photo answers 413 with the size and the limit, for 16000x16000 and for 30000x30000", async () => {
    const model = await ensureSynthModel(1, generatedModelsDir());
    const dashboard = await startDashboardCli(['--embedded-broker', '--model', model]);
    try {
      for (const [bytes, size] of [
        [bomb, '16000x16000 = 256.0 MP'],
        [huge, '30000x30000 = 900.0 MP'],
      ] as const) {
        const response = await fetch(`${dashboard.url}api/classify`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes });
        expect(response.status).toBe(413);
        const body = (await response.json()) as { error: string };
        expect(body.error).toBe(
          `this png cannot be classified, image too large to decode: ${size} exceeds the limit of 64.0 MP (model.maxImageMegapixels); send smaller frames, or raise the limit if this is a real camera frame and the memory allows it`,
        );
        expect(body.error).not.toMatch(/damaged|truncated/);
      }
    } finally {
      await dashboard.stop();
    }
  }, 120_000);
});
