// Records a live run into flight folders: taps the frame source (every Nth frame), the position source's telemetry and the
// results; when arming splits the run into flights, each flight gets its own folder.
import { join } from 'node:path';
import type { Frame, FrameSource } from '../capture/frame-source.js';
import { wrapFrames } from '../capture/frame-wrapper.js';
import type { PositionLookup, PositionSource } from '../geo/position-source.js';
import type { Track, TrackSample } from '../geo/track.js';
import type { Logger } from '../platform/logger.js';
import type { Result } from '../publish/result-schema.js';
import type { Sink } from '../publish/sink.js';
import { assertValidResult } from '../publish/result-encoding.js';
import { FlightWriter, type NewFlight } from './flight-writer.js';
import type { FlightManifest, TelemetryRecord } from './recording-format.js';

export interface FlightRecorderOptions {
  /** Keep one frame in this many (1 = all). */
  everyNth: number;
  maxBytes: number | null;
  /** Names the telemetry samples' source (the configured position type). */
  positionSource: string;
  /**
   * Where flights go, <recordDir>/<flightId>/, and when each started: frames labelled with another flight id
   * (FlightSessions) start a new folder there. Without it, everything goes into the folder given to open().
   */
  rotation?: { recordDir: string; startedAtMs: (flightId: string) => number };
}

export function trackSampleRecord(s: TrackSample, source: string): TelemetryRecord {
  return s.kind === 'fix' ? { kind: 'fix', source, ...s.sample } : { kind: 'attitude', source, ...s.sample };
}

function key(flightId: string, seq: number): string {
  return `${flightId}\u0000${seq}`;
}

export class FlightRecorder {
  /** (flight, seq) of recorded frames, so only they get their position and result kept. */
  readonly #recorded = new Set<string>();
  /** Open folders by flight id, oldest first; the last one takes new frames and telemetry. */
  readonly #writers = new Map<string, FlightWriter>();
  readonly #closed: FlightManifest[] = [];
  #current: FlightWriter;
  #track: Track | null = null;
  #unobserve: (() => void) | null = null;

  private constructor(
    writer: FlightWriter,
    private readonly template: NewFlight,
    private readonly options: FlightRecorderOptions,
    private readonly logger: Logger,
  ) {
    this.#current = writer;
    this.#writers.set(template.flightId, writer);
  }

  static async open(dir: string, flight: NewFlight, options: FlightRecorderOptions, logger: Logger): Promise<FlightRecorder> {
    const writer = await FlightWriter.create(dir, flight, { maxBytes: options.maxBytes, logger });
    logger.info({ dir: writer.dir, everyNth: options.everyNth, maxBytes: options.maxBytes }, 'recording the flight');
    return new FlightRecorder(writer, flight, options, logger);
  }

  /** The folder frames go into now. */
  get writer(): FlightWriter {
    return this.#current;
  }

  /** Folders already closed because the next flight started (their manifests). */
  get finished(): readonly FlightManifest[] {
    return this.#closed;
  }

  /** The same frames, in the same order; recording happens on the side and never holds a frame back. */
  tapFrames(source: FrameSource): FrameSource {
    const { options } = this;
    return wrapFrames(source, {
      step: async (frame) => {
        const currentId = this.#currentFlightId;
        const writer = frame.flightId !== undefined && frame.flightId !== currentId && options.rotation ? await this.#rotate(frame.flightId) : this.#current;
        if (frame.seq % options.everyNth === 0 && !writer.full) {
          const record = writer.writeFrame({
            capturedAtMs: frame.capturedAtMs,
            timeSource: frame.timeSource,
            name: frame.name,
            bytes: frame.bytes,
            source: {
              liveSeq: frame.seq,
              ...(frame.flightId !== undefined ? { flightId: frame.flightId } : {}),
              ...(frame.exposureUs !== undefined ? { exposureUs: frame.exposureUs } : {}),
            },
            ...(frame.raw ? { raw: frame.raw } : {}),
          });
          if (record) this.#recorded.add(key(frame.flightId ?? currentId, frame.seq));
        }
        return frame;
      },
    });
  }

  get #currentFlightId(): string {
    for (const [id, w] of this.#writers) if (w === this.#current) return id;
    return this.template.flightId;
  }

  /** A new folder for the next flight; the telemetry the track still holds goes into it too (frames need what brackets them). */
  async #rotate(flightId: string): Promise<FlightWriter> {
    const rotation = this.options.rotation as NonNullable<FlightRecorderOptions['rotation']>;
    const writer = await FlightWriter.create(
      join(rotation.recordDir, flightId),
      { ...this.template, flightId, startedAt: new Date(rotation.startedAtMs(flightId)).toISOString() },
      { maxBytes: this.options.maxBytes, logger: this.logger },
    );
    this.#writers.set(flightId, writer);
    this.#current = writer;
    this.logger.info({ dir: writer.dir, flightId }, 'recording the next flight');
    if (this.#track) this.#observe(this.#track);
    return writer;
  }

  #observe(track: Track): void {
    this.#unobserve?.();
    const writer = this.#current;
    const source = this.options.positionSource;
    this.#unobserve = track.observe((s) => writer.writeTelemetry(trackSampleRecord(s, source)));
  }

  /**
   * Track-based sources (nmea, gpsd, mavlink): every raw sample they accept. Per-frame sources (exif, fixed): the
   * position each recorded frame got, as a sample at its capture time, since there is no other telemetry.
   */
  tapPosition(position: PositionSource): PositionSource {
    const source = this.options.positionSource;
    if (position.track) {
      this.#track = position.track;
      this.#observe(position.track);
      return position;
    }
    return {
      positionFor: async (frame: Frame): Promise<PositionLookup> => {
        const where = await position.positionFor(frame);
        const flightId = frame.flightId ?? this.template.flightId;
        const writer = this.#writers.get(flightId);
        if (writer && this.#recorded.has(key(flightId, frame.seq))) {
          const p = where.position;
          writer.writeTelemetry({
            kind: 'fix',
            source,
            timeMs: frame.capturedAtMs,
            fix: p ? { latDeg: p.latDeg, lonDeg: p.lonDeg, altMslM: p.altMslM, altAglM: p.altAglM } : null,
            // A geotag without a fix type (EXIF) is taken as a 3D fix: drones write coordinates only with one.
            fixType: p ? (p.fixType ?? 3) : 0,
            hdop: p?.hdop ?? null,
            satellites: p?.satellites ?? null,
            courseDeg: p?.courseDeg ?? null,
            speedMps: null,
          });
          if (p?.attitude) writer.writeTelemetry({ kind: 'attitude', source, timeMs: frame.capturedAtMs, ...p.attitude });
        }
        return where;
      },
      close: () => position.close(),
    };
  }

  /** Results of recorded frames, into their flight's results.jsonl; the first result of a flight closes the folders before it. */
  readonly sink: Sink = {
    name: 'recording',
    write: async (result: Result) => {
      if (this.#sinkClosed) throw new Error(`recording: write after close (seq ${result.seq}); this is a bug in the caller`);
      assertValidResult(result, 'recording');
      // Results leave in frame order: once one of a later flight arrives, the earlier flights have all of theirs.
      for (const [id, writer] of this.#writers) {
        if (id === result.flightId || writer === this.#current) break;
        this.#writers.delete(id);
        this.#closed.push(await this.#finish(writer, 'next-flight'));
      }
      const writer = this.#writers.get(result.flightId) ?? (this.#writers.size === 1 ? this.#current : undefined);
      if (writer && this.#recorded.has(key(result.flightId, result.seq))) await writer.writeResult(result);
    },
    // The recorder itself closes the folders (close()); the sink only stops taking results.
    close: async () => {
      this.#sinkClosed = true;
    },
  };
  #sinkClosed = false;

  async #finish(writer: FlightWriter, reason: 'source-ended' | 'stopped' | 'next-flight'): Promise<FlightManifest> {
    const manifest = await writer.close(reason);
    this.logger.info({ dir: writer.dir, frames: manifest.end?.frames, reason: manifest.end?.reason }, 'recording finished');
    return manifest;
  }

  /** Closes every folder still open; returns the manifest of the last one. */
  async close(reason: 'source-ended' | 'stopped'): Promise<FlightManifest> {
    this.#unobserve?.();
    let last: FlightManifest | null = null;
    for (const [id, writer] of this.#writers) {
      this.#writers.delete(id);
      last = await this.#finish(writer, writer === this.#current ? reason : 'next-flight');
      if (writer !== this.#current) this.#closed.push(last);
    }
    return last as FlightManifest;
  }
}
