// Finds rpicam-vid (or the older libcamera-vid) and builds its argument list from the source config.
import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import type { RpicamSourceConfig } from '../config/schema.js';
import type { I420Layout } from './i420-splitter.js';

/** Names tried on PATH, newest first: Raspberry Pi OS renamed libcamera-apps to rpicam-apps in late 2023. */
export const RPICAM_VID_NAMES = ['rpicam-vid', 'libcamera-vid'] as const;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** The camera program to run: source.command if set, else the first of RPICAM_VID_NAMES on PATH. */
export function findRpicamVid(command: string, env: NodeJS.ProcessEnv = process.env): string {
  if (command !== '') {
    const found = command.includes('/') ? (isExecutable(command) ? command : null) : onPath(command, env);
    if (found) return found;
    throw new Error(`source.command: "${command}" is not an executable file or on PATH; set it to rpicam-vid's path or "" to search PATH`);
  }
  for (const name of RPICAM_VID_NAMES) {
    const found = onPath(name, env);
    if (found) return found;
  }
  throw new Error(
    `source.type rpicam: neither rpicam-vid nor libcamera-vid is on PATH (${env['PATH'] ?? ''}); ` +
      'install them (sudo apt install rpicam-apps) or set source.command to the program',
  );
}

/**
 * True for rpicam-vid, which writes per-frame metadata (--metadata, rpicam-apps 1.1 and later); libcamera-vid
 * builds older than that refuse the option, and a program of another name is not assumed to know it.
 */
export function writesMetadata(command: string): boolean {
  return basename(command) === 'rpicam-vid';
}

/** Row length of raw frames: configured, or the width padded as the Pi's ISP pads YUV420 rows (64-byte aligned). */
export function rpicamI420Layout(config: RpicamSourceConfig): I420Layout {
  const stride = config.strideBytes > 0 ? config.strideBytes : Math.ceil(config.widthPx / 64) * 64;
  return { width: config.widthPx, height: config.heightPx, stride };
}

/**
 * Arguments for a run that streams frames to stdout until stopped, with one timestamp line per frame
 * written to `ptsPath` (a FIFO we read as it is written: no file that grows all flight, nothing to poll) and,
 * with `metadataPath`, each frame's metadata as JSON there (its exposure time, when auto-exposure sets it).
 */
export function rpicamVidArgs(config: RpicamSourceConfig, ptsPath: string, metadataPath: string | null = null): string[] {
  const args = [
    '-t',
    '0', // run until stopped
    '-n', // no preview window
    '-o',
    '-',
    '--codec',
    config.codec,
    '--camera',
    String(config.cameraIndex),
    '--width',
    String(config.widthPx),
    '--height',
    String(config.heightPx),
    '--framerate',
    String(config.framerateFps),
    '--awb',
    config.awb,
    '--denoise',
    config.denoise,
    '--save-pts',
    ptsPath,
    // Without it frames and timestamp lines sit in stdio buffers and arrive late and in bursts.
    '--flush',
  ];
  if (metadataPath !== null) args.push('--metadata', metadataPath, '--metadata-format', 'json');
  if (config.shutterUs > 0) args.push('--shutter', `${config.shutterUs}us`);
  if (config.gain > 0) args.push('--gain', String(config.gain));
  if (config.hflip) args.push('--hflip');
  if (config.vflip) args.push('--vflip');
  if (config.rotationDeg !== 0) args.push('--rotation', String(config.rotationDeg));
  if (config.tuningFile !== '') args.push('--tuning-file', config.tuningFile);
  return args;
}

/** stderr lines that mean there is no camera to open (rpicam-apps' wording); restarting will not help soon. */
export function isCameraMissingLine(line: string): boolean {
  return /no cameras available|selected camera is not available/i.test(line);
}
