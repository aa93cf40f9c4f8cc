// Position source reading NMEA 0183 from a receiver over UDP, or from a recorded log file (replays and tests).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';
import { NmeaDecoder, type NmeaStats } from './nmea-decoder.js';
import type { TrackOptions } from './track.js';
import type { LinkState } from './track-lookup.js';
import { linkFromSilence, listenUdpTelemetry } from './udp-telemetry-input.js';
import { UdpTrackPositionSource } from './udp-track-position-source.js';

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

export class NmeaPositionSource extends UdpTrackPositionSource {
  private readonly decoder: NmeaDecoder;
  private lastDataMs: number | null = null;

  private constructor(private readonly options: NmeaPositionSourceOptions) {
    super('nmea', options);
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

  get link(): LinkState {
    if (this.options.input.type === 'file') return { state: 'up', sinceMs: this.openedMs, detail: 'log file' };
    return linkFromSilence(this.lastDataMs, this.openedMs, this.options.linkTimeoutMs, {
      nothingYet: 'no NMEA datagram received yet',
      silentFor: (ms) => `no NMEA datagram for ${ms} ms`,
    });
  }

  private async listen(host: string, port: number): Promise<void> {
    this.socket = await listenUdpTelemetry({
      host,
      port,
      configPath: 'position.nmea',
      protocol: 'NMEA',
      onDatagram: (bytes, receivedMs) => {
        this.lastDataMs = receivedMs;
        this.feed(bytes.toString('latin1'));
      },
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
  }

  /** Feeds raw text: a UDP datagram or a whole log holds complete sentences (a cut one fails its checksum, counted). */
  feed(text: string): void {
    for (const line of text.split(/\r?\n|\r/)) this.decoder.line(line);
  }
}
