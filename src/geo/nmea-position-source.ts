// Position source reading NMEA 0183 from a receiver over UDP or a serial device, or from a recorded log file (replays and tests).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';
import { BootClock } from './mavlink-boot-clock.js';
import { NmeaDecoder, type NmeaStats } from './nmea-decoder.js';
import type { GpsTimeReference } from './position-source.js';
import type { PositionHealth } from './telemetry-health.js';
import type { TrackOptions } from './track.js';
import type { LinkState } from './track-lookup.js';
import { linkFromSilence, listenUdpTelemetry } from './udp-telemetry-input.js';
import { UdpTrackPositionSource } from './udp-track-position-source.js';

export type NmeaInput =
  | { type: 'udp'; host: string; port: number }
  /** A receiver on a serial port (or USB serial adapter), 8N1 at baudRate. */
  | { type: 'serial'; path: string; baudRate: number }
  /** A whole log read at open (gpsd-style captures: "#" comments, CRLF or LF). */
  | { type: 'file'; path: string };

export interface NmeaPositionSourceOptions {
  input: NmeaInput;
  track: TrackOptions;
  waitForSampleMs: number;
  /** UDP and serial: no data for this long makes the link "down". */
  linkTimeoutMs: number;
  logger?: Logger;
}

/** A serial line longer than this without a line end is not NMEA (sentences are at most 82 characters). */
const MAX_PARTIAL_LINE = 4_096;

export class NmeaPositionSource extends UdpTrackPositionSource {
  readonly trackClock = 'gps' as const;
  private readonly decoder: NmeaDecoder;
  /** A serial stream splits anywhere: the start of a line whose end has not arrived yet. */
  private partial = '';
  /** Arrival minus sentence time, smallest over a sliding window: this computer's clock against GPS time. */
  private readonly gpsClock = new BootClock();
  private gpsTimeSeen = false;

  private constructor(private readonly options: NmeaPositionSourceOptions) {
    super('nmea', options);
    // GGA-only receivers never send a date: until one arrives, assume today's UTC date from the system clock.
    this.decoder = new NmeaDecoder(
      (s) => {
        this.track.addFix(s);
        // Live, dated fixes only: a log's times say nothing about this clock, an assumed date is this clock's own,
        // and without a fix a receiver's time may still be its own guess.
        if (this.options.input.type !== 'file' && this.decoder.dated && s.fix !== null && this.lastDataMs !== null) {
          this.gpsClock.observe(s.timeMs, this.lastDataMs);
          this.gpsTimeSeen = true;
        }
      },
      { fallbackDateMs: () => Math.floor(Date.now() / 86_400_000) * 86_400_000 },
    );
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
    } else if (input.type === 'serial') {
      await source.openSerial(input, 'position.nmea', 'NMEA', (bytes, receivedMs) => source.received(bytes, receivedMs, true), options.logger);
    } else {
      await source.listen(input.host, input.port);
    }
    options.logger?.info({ input, stats: source.stats }, 'NMEA position source open');
    return source;
  }

  get stats(): NmeaStats & { trackResets: number; samples: number; linkLosses: number } {
    return { ...this.decoder.stats, trackResets: this.track.resets, samples: this.track.size, linkLosses: this.linkLosses };
  }

  get link(): LinkState {
    const input = this.options.input;
    if (input.type === 'file') return { state: 'up', sinceMs: this.openedMs, detail: 'log file' };
    const unplugged = this.serialDown();
    if (unplugged) return unplugged;
    const what = input.type === 'serial' ? 'data on the serial device' : 'NMEA datagram';
    return linkFromSilence(this.lastDataMs, this.openedMs, this.options.linkTimeoutMs, {
      nothingYet: `no ${what} received yet`,
      silentFor: (ms) => `no ${what} for ${ms} ms`,
    });
  }

  health(): PositionHealth {
    const { badChecksum, malformed } = this.decoder.stats;
    return this.healthWith('nmea', this.options.input.type, { garbled: badChecksum + malformed, droppedPackets: null });
  }

  gpsTime(): GpsTimeReference | null {
    const offset = this.gpsClock.offsetMs;
    return this.gpsTimeSeen && offset !== null ? { systemMinusGpsMs: offset, from: 'NMEA RMC/ZDA date and time' } : null;
  }

  private async listen(host: string, port: number): Promise<void> {
    this.socket = await listenUdpTelemetry({
      host,
      port,
      configPath: 'position.nmea',
      protocol: 'NMEA',
      onDatagram: (bytes, receivedMs) => this.received(bytes, receivedMs, false),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
  }

  /** Live data: a datagram holds whole sentences; a serial chunk may end mid-line, kept for the next one. */
  private received(bytes: Buffer, receivedMs: number, stream: boolean): void {
    const silentMs = this.dataArrived(receivedMs, this.options.linkTimeoutMs);
    if (silentMs !== null) this.options.logger?.info({ silentMs }, 'NMEA link up again');
    if (!stream) {
      this.feed(bytes.toString('latin1'));
      return;
    }
    const text = this.partial + bytes.toString('latin1');
    const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    this.partial = text.slice(end + 1);
    if (this.partial.length > MAX_PARTIAL_LINE) this.partial = '';
    if (end >= 0) this.feed(text.slice(0, end + 1));
  }

  /** Feeds raw text: a UDP datagram or a whole log holds complete sentences (a cut one fails its checksum, counted). */
  feed(text: string): void {
    for (const line of text.split(/\r?\n|\r/)) this.decoder.line(line);
  }
}
