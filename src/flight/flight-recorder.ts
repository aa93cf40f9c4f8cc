// Records a live run into a flight folder: taps the frame source (every Nth frame), the position source's telemetry and the results.
import type { Frame, FrameSource } from '../capture/frame-source.js';
import type { PositionLookup, PositionSource } from '../geo/position-source.js';
import type { TrackSample } from '../geo/track.js';
import type { Logger } from '../platform/logger.js';
import type { Result } from '../publish/result-schema.js';
import type { Sink } from '../publish/sink.js';
import { FlightWriter, type NewFlight } from './flight-writer.js';
import type { FlightManifest, TelemetryRecord } from './recording-format.js';

export interface FlightRecorderOptions {
  /** Keep one frame in this many (1 = all). */
  everyNth: number;
  maxBytes: number | null;
  /** Names the telemetry samples' source (the configured position type). */
  positionSource: string;
}

export function trackSampleRecord(s: TrackSample, source: string): TelemetryRecord {
  return s.kind === 'fix' ? { kind: 'fix', source, ...s.sample } : { kind: 'attitude', source, ...s.sample };
}

export class FlightRecorder {
  /** Live seq -> recorded, so only recorded frames get their position and result kept. */
  readonly #recorded = new Set<number>();
  #unobserve: (() => void) | null = null;

  private constructor(
    readonly writer: FlightWriter,
    private readonly options: FlightRecorderOptions,
    private readonly logger: Logger,
  ) {}

  static async open(dir: string, flight: NewFlight, options: FlightRecorderOptions, logger: Logger): Promise<FlightRecorder> {
    const writer = await FlightWriter.create(dir, flight, { maxBytes: options.maxBytes, logger });
    logger.info({ dir: writer.dir, everyNth: options.everyNth, maxBytes: options.maxBytes }, 'recording the flight');
    return new FlightRecorder(writer, options, logger);
  }

  /** The same frames, in the same order; recording happens on the side and never holds a frame back. */
  tapFrames(source: FrameSource): FrameSource {
    const { writer, options } = this;
    const recorded = this.#recorded;
    const tapped: FrameSource = {
      async *frames(): AsyncIterable<Frame> {
        for await (const frame of source.frames()) {
          if (frame.seq % options.everyNth === 0 && !writer.full) {
            const record = writer.writeFrame({
              capturedAtMs: frame.capturedAtMs,
              timeSource: frame.timeSource,
              name: frame.name,
              bytes: frame.bytes,
              source: { liveSeq: frame.seq },
              ...(frame.raw ? { raw: frame.raw } : {}),
            });
            if (record) recorded.add(frame.seq);
          }
          yield frame;
        }
      },
      close: () => source.close(),
    };
    if (source.expectedCount !== undefined) Object.defineProperty(tapped, 'expectedCount', { get: () => source.expectedCount });
    return tapped;
  }

  /**
   * Track-based sources (nmea, gpsd): every raw sample they accept. Per-frame sources (exif, fixed): the
   * position each recorded frame got, as a sample at its capture time, since there is no other telemetry.
   */
  tapPosition(position: PositionSource): PositionSource {
    const { writer } = this;
    const source = this.options.positionSource;
    if (position.track) {
      this.#unobserve = position.track.observe((s) => writer.writeTelemetry(trackSampleRecord(s, source)));
      return position;
    }
    return {
      positionFor: async (frame: Frame): Promise<PositionLookup> => {
        const where = await position.positionFor(frame);
        if (this.#recorded.has(frame.seq)) {
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

  /** Results of recorded frames, into results.jsonl. */
  readonly sink: Sink = {
    name: 'recording',
    write: async (result: Result) => {
      if (this.#recorded.has(result.seq)) await this.writer.writeResult(result);
    },
    close: async () => {},
  };

  async close(reason: 'source-ended' | 'stopped'): Promise<FlightManifest> {
    this.#unobserve?.();
    const manifest = await this.writer.close(reason);
    this.logger.info({ dir: this.writer.dir, frames: manifest.end?.frames, reason: manifest.end?.reason }, 'recording finished');
    return manifest;
  }
}
