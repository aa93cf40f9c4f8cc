// `fieldeye camera check`: lists the cameras rpicam-vid sees, streams for a few seconds with the configured settings, prints frame size and measured fps, and writes a snapshot.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../config/load-config.js';
import { SourceSchema, type RpicamSourceConfig } from '../config/schema.js';
import { RpicamFrameSource } from '../capture/rpicam-frame-source.js';
import { findRpicamVid } from '../capture/rpicam-command.js';
import type { Frame } from '../capture/frame-source.js';
import { i420ToRgb } from '../vision/preprocess-i420.js';
import type { Logger } from '../platform/logger.js';

export interface CameraCheckOptions {
  config?: string;
  seconds: number;
  snapshot: string;
}

/** The configured camera settings, or rpicam defaults when the config's source is not a camera. */
function cameraSettings(configFile: string | undefined): RpicamSourceConfig {
  const { config } = loadConfig(configFile ?? null);
  if (config.source.type === 'rpicam') return config.source;
  const defaults = SourceSchema.parse({ type: 'rpicam' });
  if (defaults.type !== 'rpicam') throw new Error('unreachable: rpicam defaults');
  return defaults;
}

async function writeSnapshot(frame: Frame, path: string): Promise<{ width: number; height: number }> {
  if (frame.raw) {
    const { width, height } = frame.raw;
    const rgb = i420ToRgb(frame.bytes, frame.raw, { left: 0, top: 0, width, height });
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(path);
    return { width, height };
  }
  await writeFile(path, frame.bytes);
  const meta = await sharp(frame.bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

export async function cameraCheckCommand(opts: CameraCheckOptions, logger: Logger): Promise<number> {
  const settings = cameraSettings(opts.config);
  const command = findRpicamVid(settings.command);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  out(`camera program: ${command}`);
  const listing = await promisify(execFile)(command, ['--list-cameras'], { timeout: 30_000 }).catch(
    (err: { stdout?: string; stderr?: string; message: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? err.message }),
  );
  out(listing.stdout.trimEnd() || listing.stderr.trimEnd());
  if (/No cameras available/i.test(listing.stdout)) {
    out('no camera: check the ribbon cable (contacts facing the right way), the camera power, and dtoverlay in config.txt');
    return 1;
  }

  const source = await RpicamFrameSource.open({ config: settings, logger });
  let count = 0;
  let last: Frame | null = null;
  const t0 = performance.now();
  const stopAt = t0 + opts.seconds * 1000;
  const timer = setTimeout(() => void source.close(), opts.seconds * 1000);
  try {
    for await (const frame of source.frames()) {
      count++;
      last = frame;
      if (performance.now() >= stopAt) break;
    }
  } finally {
    clearTimeout(timer);
    await source.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  if (!last) {
    out(`no frame in ${opts.seconds} s`);
    return 1;
  }
  const size = await writeSnapshot(last, opts.snapshot);
  const drops =
    Object.entries(source.dropCounts())
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  out(`codec: ${settings.codec}${last.raw ? ` (stride ${last.raw.stride} bytes)` : ''}`);
  out(`frame size: ${size.width}x${size.height}`);
  out(`frames: ${count} in ${elapsedS.toFixed(1)} s = ${(count / elapsedS).toFixed(1)} fps measured (asked for ${settings.framerateFps})`);
  out(`time source: ${last.timeSource}`);
  out(`drops: ${drops}`);
  out(`snapshot: ${opts.snapshot}`);
  return 0;
}
