// `fieldeye import images|video`: other drones' photos or video + SRT become a flight folder; prints what was imported and where positions are missing.
import { createLogger } from '../platform/logger.js';
import { importImages } from '../flight/import-images.js';
import { importVideo } from '../flight/import-video.js';
import type { FlightManifest } from '../flight/recording-format.js';

export interface ImportCommonOptions {
  out: string;
  droneId: string;
  flightId?: string;
}

function cliLogger() {
  // Stdout is the import report; logs go to stderr.
  return createLogger({ level: (process.env['FIELDEYE_LOG_LEVEL'] ?? 'warn') as 'warn', destination: 2 });
}

function report(dir: string, m: FlightManifest): string {
  const lines = [`imported ${m.end?.frames ?? 0} frames into ${dir} (flight ${m.flightId}, drone ${m.droneId})`];
  for (const p of m.noFixPeriods) {
    lines.push(`no position ${new Date(p.fromMs).toISOString()} .. ${new Date(p.toMs).toISOString()}: ${p.samples} samples, ${p.why}`);
  }
  for (const n of m.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}

export async function importImagesCommand(dir: string, opts: ImportCommonOptions): Promise<number> {
  const manifest = await importImages({
    dir,
    out: opts.out,
    droneId: opts.droneId,
    ...(opts.flightId ? { flightId: opts.flightId } : {}),
    logger: cliLogger(),
  });
  process.stdout.write(report(opts.out, manifest));
  return 0;
}

export interface ImportVideoCommandOptions extends ImportCommonOptions {
  srt: string;
  fps: number;
  start?: string;
}

export async function importVideoCommand(video: string, opts: ImportVideoCommandOptions): Promise<number> {
  let startMs: number | undefined;
  if (opts.start !== undefined) {
    startMs = Date.parse(opts.start);
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(opts.start) || !Number.isFinite(startMs)) {
      throw new Error(`--start: expected an ISO time with a zone (2024-05-01T10:00:00Z), received "${opts.start}"`);
    }
  }
  if (!(opts.fps > 0 && opts.fps <= 120)) throw new Error(`--fps: expected frames per second between 0 and 120, received ${opts.fps}`);
  const manifest = await importVideo({
    video,
    srt: opts.srt,
    out: opts.out,
    fps: opts.fps,
    droneId: opts.droneId,
    ...(opts.flightId ? { flightId: opts.flightId } : {}),
    ...(startMs !== undefined ? { startMs } : {}),
    logger: cliLogger(),
  });
  process.stdout.write(report(opts.out, manifest));
  return 0;
}
