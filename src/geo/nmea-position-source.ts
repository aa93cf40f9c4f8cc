// Position source reading NMEA 0183 from a receiver over UDP, or from a recorded log file (replays and tests).
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import type { Frame } from '../capture/frame-source.js';
import type { Logger } from '../platform/logger.js';
import { NmeaDecoder, type NmeaStats } from './nmea-decoder.js';
import type { PositionLookup, PositionSource } from './position-source.js';
import { Track, type TrackOptions } from './track.js';
import { lookupOnTrack, type LinkState } from './track-lookup.js';

export type NmeaInput =
  | { type: 'udp'; host: string; port: number }
  /** A whole log read at open (gpsd-style captures: "#" comments, CRLF or LF). */
  | { type: 'file'; path: string };

export interface NmeaPositionSourceOptions {
  input: NmeaInput;
  track: TrackOptions;
  waitForSampleMs: number;
  /** UDP: no datagram for this long makes the link "down". */
  linkTimeoutMs: number;
  logger?: Logger;
}

export class NmeaPositionSource implements PositionSource {
  readonly track: Track;
  private readonly decoder: NmeaDecoder;
  private socket: Socket | null = null;
  private lastDataMs: number | null = null;
  private readonly openedMs = Date.now();

  private constructor(private readonly options: NmeaPositionSourceOptions) {
    this.track = new Track(options.track);
    // GGA-only receivers never send a date: until one arrives, assume today's UTC date from the system clock.
    this.decoder = new NmeaDecoder((s) => this.track.addFix(s), {
      fallbackDateMs: () => Math.floor(Date.now() / 86_400_000) * 86_400_000,
    });
  }

  static async open(options: NmeaPositionSourceOptions): Promise<NmeaPositionSource> {
    const source = new NmeaPositionSource(options);
    const input = options.input;
    if (input.type === 'file') {
      let text: string;
      try {
        text = await readFile(input.path, 'latin1');
      } catch (err) {
        throw new Error(`position.nmea.path: cannot read the NMEA log ${input.path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      source.feed(text);
      source.decoder.flush();
    } else {
      await source.listen(input.host, input.port);
    }
    options.logger?.info({ input, stats: source.stats }, 'NMEA position source open');
    return source;
  }

  get stats(): NmeaStats & { trackResets: number; samples: number } {
    return { ...this.decoder.stats, trackResets: this.track.resets, samples: this.track.size };
  }

  /** The UDP port actually bound (useful with port 0). */
  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  get link(): LinkState {
    if (this.options.input.type === 'file') return { state: 'up', sinceMs: this.openedMs, detail: 'log file' };
    const now = Date.now();
    if (this.lastDataMs === null) return { state: 'down', sinceMs: this.openedMs, detail: 'no NMEA datagram received yet' };
    const silentMs = now - this.lastDataMs;
    return silentMs > this.options.linkTimeoutMs
      ? { state: 'down', sinceMs: this.lastDataMs, detail: `no NMEA datagram for ${silentMs} ms` }
      : { state: 'up', sinceMs: this.lastDataMs, detail: 'receiving' };
  }

  private listen(host: string, port: number): Promise<void> {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = socket;
    socket.on('message', (msg) => {
      this.lastDataMs = Date.now();
      this.feed(msg.toString('latin1'));
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) =>
        reject(new Error(`position.nmea: cannot listen for NMEA on udp://${host}:${port}: ${err.message}`)),
      );
      socket.bind(port, host, () => {
        // After binding, a socket error is a link problem, logged, never a crash.
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.options.logger?.warn({ err: err.message }, 'NMEA UDP socket error'));
        resolve();
      });
    });
  }

  /** Feeds raw text: a UDP datagram or a whole log holds complete sentences (a cut one fails its checksum, counted). */
  feed(text: string): void {
    for (const line of text.split(/\r?\n|\r/)) this.decoder.line(line);
  }

  positionFor(frame: Frame): Promise<PositionLookup> {
    return lookupOnTrack(this.track, frame.capturedAtMs, 'nmea', this.link, {
      waitForSampleMs: this.options.waitForSampleMs,
      maxGapMs: this.options.track.maxGapMs,
    });
  }

  async close(): Promise<void> {
    this.track.releaseWaiters();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
