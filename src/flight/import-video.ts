// `fieldeye import video`: a drone video and its DJI SRT telemetry become a flight folder; frames are decoded with ffmpeg.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { autoFlightId } from '../platform/flight-id.js';
import type { Logger } from '../platform/logger.js';
import { startProgress } from '../platform/progress.js';
import { decodeJpegs, ffTool, videoDurationS } from './ffmpeg-tools.js';
import { parseDjiSrt } from './dji-srt.js';
import { FlightWriter } from './flight-writer.js';
import { noFixPeriods } from './no-fix-periods.js';
import type { FlightManifest } from './recording-format.js';

export interface ImportVideoOptions {
  video: string;
  srt: string;
  out: string;
  /** Frames kept per second of video. */
  fps: number;
  droneId: string;
  flightId?: string;
  /** Wall-clock time of the video's first frame, for SRT formats without a date (Phantom 4 RTK, Mavic Mini). */
  startMs?: number;
  logger: Logger;
}

/** The container's creation_time (DJI writes it), ms since the epoch; null when absent. */
async function videoCreationMs(video: string): Promise<number | null> {
  const out = await ffTool('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=creation_time', '-of', 'default=nw=1:nk=1', video]);
  const ms = Date.parse(out.trim());
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Frame k of the fps filter is the video at k/fps s (nearest source frame). A long 4K video takes minutes: the bar
 * counts the video seconds decoded.
 */
async function decodeWithProgress(video: string, fps: number, pattern: string): Promise<void> {
  const durationS = await videoDurationS(video);
  const decoding = startProgress('import: decoding video (s)', Math.ceil(durationS ?? 0));
  try {
    await decodeJpegs(video, fps, pattern, (s) => decoding.update(Math.floor(s)));
  } finally {
    decoding.done();
  }
}

export async function importVideo(options: ImportVideoOptions): Promise<FlightManifest> {
  let text: string;
  try {
    text = await readFile(options.srt, 'utf8');
  } catch (err) {
    throw new Error(`--srt ${options.srt}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const { cues, problems } = parseDjiSrt(text);
  if (cues.length === 0) throw new Error(`--srt ${options.srt}: no subtitle cues in it; pass the .SRT the drone wrote next to the video`);
  for (const p of problems) options.logger.warn({ srt: options.srt }, p);

  // One time base for frames and telemetry: video time 0 at the wall-clock time the SRT (or the container) gives.
  const dated = cues.find((c) => c.dateMs !== null);
  const notes: string[] = [];
  let startMs: number;
  if (dated?.dateMs != null) {
    startMs = dated.dateMs - dated.startMs;
    notes.push('SRT date/time is the drone clock without a time zone; taken as UTC');
  } else if (options.startMs !== undefined) {
    startMs = options.startMs;
  } else {
    const created = await videoCreationMs(options.video);
    if (created === null) {
      throw new Error(`${options.video}: neither the SRT nor the video says when it was recorded; pass --start with an ISO time (2024-05-01T10:00:00Z)`);
    }
    startMs = created;
    notes.push('start time from the video container creation_time');
  }

  const tmp = await mkdtemp(join(tmpdir(), 'fieldeye-import-video-'));
  try {
    await decodeWithProgress(options.video, options.fps, join(tmp, '%06d.jpg'));
    const files = (await readdir(tmp)).filter((f) => f.endsWith('.jpg')).sort();
    if (files.length === 0) throw new Error(`${options.video}: ffmpeg decoded no frames; is it a video?`);
    const writer = await FlightWriter.create(
      options.out,
      {
        droneId: options.droneId,
        flightId: options.flightId ?? autoFlightId(new Date(startMs)),
        startedAt: new Date(startMs).toISOString(),
        origin: 'import-video',
        camera: { description: `video ${basename(options.video)}`, hfovDeg: null, vfovDeg: null, mountPitchDeg: null },
        model: null,
        configSha256: null,
      },
      { maxBytes: null, logger: options.logger },
    );
    const stem = basename(options.video, extname(options.video));
    for (const [k, file] of files.entries()) {
      const videoTimeMs = Math.round((k * 1000) / options.fps);
      writer.writeFrame({
        capturedAtMs: startMs + videoTimeMs,
        timeSource: 'recording',
        name: `${stem}-t${String(videoTimeMs).padStart(7, '0')}.jpg`,
        bytes: await readFile(join(tmp, file)),
        source: { video: basename(options.video), videoTimeMs },
      });
    }
    for (const c of cues) {
      const timeMs = startMs + c.startMs;
      const fix = c.latDeg !== null && c.lonDeg !== null ? { latDeg: c.latDeg, lonDeg: c.lonDeg, altMslM: c.altMslM, altAglM: c.altAglM } : null;
      writer.writeTelemetry({
        kind: 'fix',
        source: 'srt',
        timeMs,
        fix,
        fixType: fix ? 3 : 0,
        hdop: null,
        satellites: c.satellites,
        courseDeg: null,
        speedMps: null,
      });
      if (c.attitude) writer.writeTelemetry({ kind: 'attitude', source: 'srt', timeMs, ...c.attitude });
      if (c.gimbal) writer.writeTelemetry({ kind: 'gimbal', source: 'srt', timeMs, ...c.gimbal });
    }
    writer.addNoFixPeriods(noFixPeriods(cues.map((c) => ({ timeMs: startMs + c.startMs, noFixWhy: c.noFixWhy }))));
    for (const n of [...notes, ...problems.map((p) => `SRT ${p}`)]) writer.addNote(n);
    return await writer.close('source-ended');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
