// Writes a flight folder in the recording format: frames/, frames.jsonl, telemetry.jsonl, results.jsonl and flight.json.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Frame, RawFrameFormat } from '../capture/frame-source.js';
import type { Result } from '../publish/result-schema.js';
import type { Logger } from '../platform/logger.js';
import { packageVersion } from '../publish/flight-document.js';
import {
  FLIGHT_FILES,
  FlightManifestSchema,
  RECORDING_FORMAT,
  RECORDING_FORMAT_VERSION,
  type FlightManifest,
  type FrameRecord,
  type NoFixPeriod,
  type TelemetryRecord,
} from './recording-format.js';

export type NewFlight = Pick<FlightManifest, 'droneId' | 'flightId' | 'startedAt' | 'origin' | 'camera' | 'model' | 'configSha256'>;

export interface FlightWriterOptions {
  /** Stop taking frames and telemetry once the folder would grow past this many bytes; null = no limit. */
  maxBytes: number | null;
  logger?: Logger;
  /** When the flight ended, for `end.endedAt` (default: now); the simulator passes its simulated clock so its output is byte-reproducible. */
  endedAt?: () => Date;
}

export interface FrameToWrite {
  capturedAtMs: number;
  timeSource: Frame['timeSource'];
  name: string;
  bytes: Buffer;
  source: Record<string, unknown>;
  /** Raw pixels (kept raw: encoding on the drone costs CPU the pipeline needs). */
  raw?: RawFrameFormat;
}

/** An append-only JSON-lines file whose writes land in call order without the caller awaiting each one. */
class LinesFile {
  #tail: Promise<void> = Promise.resolve();
  constructor(readonly handle: FileHandle) {}

  append(line: string): Promise<void> {
    const done = this.#tail.then(() => this.handle.appendFile(line, 'utf8'));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.handle.datasync().catch(() => undefined);
    await this.handle.close();
  }
}

export class FlightWriter {
  readonly dir: string;
  #manifest: FlightManifest;
  #frames: LinesFile;
  #telemetry: LinesFile;
  #results: LinesFile;
  /** The last frame's line, settled: the next line waits for it, and close() for all of them (each waited for its image and the line before). */
  #lastFrameLine: Promise<unknown> = Promise.resolve();
  #count = 0;
  #bytes = 0;
  #full = false;
  #closed: Promise<FlightManifest> | undefined;
  readonly #maxBytes: number | null;
  readonly #logger: Logger | undefined;
  readonly #endedAt: () => Date;

  private constructor(dir: string, manifest: FlightManifest, files: [LinesFile, LinesFile, LinesFile], options: FlightWriterOptions) {
    this.dir = dir;
    this.#manifest = manifest;
    [this.#frames, this.#telemetry, this.#results] = files;
    this.#maxBytes = options.maxBytes;
    this.#logger = options.logger;
    this.#endedAt = options.endedAt ?? (() => new Date());
  }

  /** Creates the folder; refuses one that already holds a recording, so nothing is ever overwritten. */
  static async create(dir: string, flight: NewFlight, options: FlightWriterOptions): Promise<FlightWriter> {
    const path = resolve(dir);
    try {
      await mkdir(join(path, FLIGHT_FILES.framesDir), { recursive: true });
    } catch (err) {
      throw new Error(`flight folder ${path}: cannot create it (${(err as Error).message}); choose a writable folder`, { cause: err });
    }
    const existing = await readdir(path);
    if (existing.includes(FLIGHT_FILES.manifest)) {
      throw new Error(`flight folder ${path}: already holds a recording (${FLIGHT_FILES.manifest}); choose another folder or remove it`);
    }
    const manifest: FlightManifest = {
      format: RECORDING_FORMAT,
      formatVersion: RECORDING_FORMAT_VERSION,
      ...flight,
      software: { name: 'fieldeye', version: packageVersion() },
      noFixPeriods: [],
      notes: [],
      end: null,
    };
    FlightManifestSchema.parse(manifest);
    const openLines = async (name: string) => new LinesFile(await open(join(path, name), 'a'));
    const files: [LinesFile, LinesFile, LinesFile] = [
      await openLines(FLIGHT_FILES.frames),
      await openLines(FLIGHT_FILES.telemetry),
      await openLines(FLIGHT_FILES.results),
    ];
    const writer = new FlightWriter(path, manifest, files, options);
    // Written now as well as at close, so a recording cut by power loss is still readable.
    await writer.#writeManifest();
    return writer;
  }

  get frameCount(): number {
    return this.#count;
  }

  get bytesWritten(): number {
    return this.#bytes;
  }

  /** True once the size limit was reached: frames and telemetry are no longer taken. */
  get full(): boolean {
    return this.#full;
  }

  #fits(size: number): boolean {
    if (this.#full) return false;
    if (this.#maxBytes !== null && this.#bytes + size > this.#maxBytes) {
      this.#full = true;
      this.#logger?.warn(
        { dir: this.dir, frames: this.#count, bytes: this.#bytes, maxBytes: this.#maxBytes },
        'recording stopped: size limit reached (the flight goes on; raise record.maxGb to keep more)',
      );
      return false;
    }
    this.#bytes += size;
    return true;
  }

  /** Stores one frame; null when the size limit stops it. The image and its line are written in the background; close() waits for them. */
  writeFrame(frame: FrameToWrite): FrameRecord | null {
    const seq = this.#count;
    const ext = frame.raw ? `.${frame.raw.format}` : extname(frame.name).toLowerCase() || '.jpg';
    const file = `${FLIGHT_FILES.framesDir}/${String(seq).padStart(6, '0')}${ext}`;
    const record: FrameRecord = {
      seq,
      capturedAtMs: frame.capturedAtMs,
      timeSource: frame.timeSource,
      name: frame.name,
      file,
      bytes: frame.bytes.length,
      sha256: createHash('sha256').update(frame.bytes).digest('hex'),
      source: frame.source,
      ...(frame.raw ? { raw: frame.raw } : {}),
    };
    const line = `${JSON.stringify(record)}\n`;
    if (!this.#fits(frame.bytes.length + line.length)) return null;
    this.#count++;
    // The image first, then its line: a reader never meets a line whose file was not started. The images are written
    // side by side, the lines one after another in seq order (a small image finishing before a large one must not
    // put its line first: the same flight would write different bytes).
    const imageWritten = writeFile(join(this.dir, file), frame.bytes);
    const previous = this.#lastFrameLine;
    const write = Promise.all([imageWritten, previous]).then(() => this.#frames.append(line));
    // Settled only once the line before is, even when this image fails at once: the order holds past a failure.
    this.#lastFrameLine = Promise.allSettled([previous, write]).then(([, outcome]) => {
      if (outcome.status === 'rejected') this.#logger?.error({ dir: this.dir, seq, err: (outcome.reason as Error).message }, 'recording: frame not written');
    });
    return record;
  }

  /** Queues one telemetry sample; false when the size limit stops it. */
  writeTelemetry(sample: TelemetryRecord): boolean {
    const line = `${JSON.stringify(sample)}\n`;
    if (!this.#fits(line.length)) return false;
    void this.#telemetry.append(line).catch((err: Error) => this.#logger?.error({ dir: this.dir, err: err.message }, 'recording: telemetry not written'));
    return true;
  }

  /** Results of recorded frames are kept even past the size limit, so every recorded frame has its result. */
  writeResult(result: Result): Promise<void> {
    const line = `${JSON.stringify(result)}\n`;
    this.#bytes += line.length;
    return this.#results.append(line);
  }

  addNote(note: string): void {
    this.#manifest.notes.push(note);
  }

  addNoFixPeriods(periods: readonly NoFixPeriod[]): void {
    this.#manifest.noFixPeriods.push(...periods);
  }

  async #writeManifest(): Promise<void> {
    const tmp = join(this.dir, `${FLIGHT_FILES.manifest}.tmp`);
    await writeFile(tmp, `${JSON.stringify(FlightManifestSchema.parse(this.#manifest), null, 2)}\n`);
    // Rename is atomic: a reader sees the old manifest or the new one, never half of one.
    await rename(tmp, join(this.dir, FLIGHT_FILES.manifest));
  }

  /** Waits for every queued write, makes the files durable and writes the final manifest. Safe to call twice. */
  close(reason: NonNullable<FlightManifest['end']>['reason'] = 'source-ended'): Promise<FlightManifest> {
    this.#closed ??= (async () => {
      await this.#lastFrameLine;
      await Promise.all([this.#frames.close(), this.#telemetry.close(), this.#results.close()]);
      this.#manifest.end = {
        endedAt: this.#endedAt().toISOString(),
        frames: this.#count,
        bytes: this.#bytes,
        reason: this.#full ? 'size-limit' : reason,
      };
      await this.#writeManifest();
      this.#logger?.info({ dir: this.dir, end: this.#manifest.end }, 'recording closed');
      return this.#manifest;
    })();
    return this.#closed;
  }
}
