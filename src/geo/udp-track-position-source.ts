// What the streamed telemetry sources (NMEA, MAVLink) share: a Track fed by UDP datagrams, a serial device or a log
// file, lookups that wait briefly for the bracketing sample and name link loss, health figures, and the input's lifetime.
import type { Socket } from 'node:dgram';
import type { Frame } from '../capture/frame-source.js';
import type { Position, PositionLookup, PositionSource } from './position-source.js';
import type { Logger } from '../platform/logger.js';
import { SerialTelemetryInput } from './serial-telemetry-input.js';
import { TelemetryMonitor, type PositionHealth } from './telemetry-health.js';
import { Track, type TrackOptions } from './track.js';
import { lookupOnTrack, type LinkState } from './track-lookup.js';
import { closeUdpTelemetry } from './udp-telemetry-input.js';

export interface TrackSourceOptions {
  track: TrackOptions;
  /** How long a lookup may wait for the sample after a frame (see TrackLookupOptions). */
  waitForSampleMs: number;
}

export abstract class UdpTrackPositionSource implements PositionSource {
  readonly track: Track;
  protected socket: Socket | null = null;
  protected serial: SerialTelemetryInput | null = null;
  protected readonly openedMs = Date.now();
  protected readonly monitor: TelemetryMonitor;
  /** When data last arrived (this computer's clock); null before the first. */
  protected lastDataMs: number | null = null;
  /** Times the data stopped for longer than the link timeout and then came back. */
  protected linkLosses = 0;

  protected constructor(
    private readonly sourceName: Position['source'],
    private readonly lookup: TrackSourceOptions,
  ) {
    this.track = new Track(lookup.track);
    this.monitor = new TelemetryMonitor(this.track);
  }

  /** Up or down, with why: from the data's silence for UDP and serial, always up for a log file. */
  abstract get link(): LinkState;

  /** The UDP port actually bound (useful with port 0). */
  get port(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  /** Opens the serial device (a startup error names `<configPath>.serial` when it cannot be opened). */
  protected async openSerial(
    input: { path: string; baudRate: number },
    configPath: string,
    protocol: string,
    onData: (bytes: Buffer, receivedMs: number) => void,
    logger: Logger | undefined,
  ): Promise<void> {
    this.serial = await SerialTelemetryInput.open({
      path: input.path,
      baudRate: input.baudRate,
      configPath: `${configPath}.serial`,
      protocol,
      onData,
      ...(logger ? { logger } : {}),
    });
  }

  /** The link while the serial device is not open (unplugged, being reopened); null when it is open or not serial. */
  protected serialDown(): LinkState | null {
    if (!this.serial || this.serial.open) return null;
    return { state: 'down', sinceMs: this.lastDataMs ?? this.openedMs, detail: `serial device ${this.serial.path}: ${this.serial.problem ?? 'closed'}` };
  }

  /** The health figures every streamed source has; the source adds what it counts as damaged or lost. */
  protected healthWith(type: string, input: string, counts: Pick<PositionHealth, 'garbled' | 'droppedPackets'>): PositionHealth {
    const link = this.link;
    return {
      type,
      input,
      link: link.state,
      linkDetail: link.detail,
      linkLosses: this.linkLosses + (this.serial?.losses ?? 0),
      ...this.monitor.snapshot(),
      ...counts,
    };
  }

  /** Notes that data arrived; returns the silence before it when that was long enough to count as a link loss. */
  protected dataArrived(receivedMs: number, linkTimeoutMs: number): number | null {
    const silentMs = this.lastDataMs === null ? null : receivedMs - this.lastDataMs;
    this.lastDataMs = receivedMs;
    if (silentMs !== null && silentMs > linkTimeoutMs) {
      this.linkLosses++;
      return silentMs;
    }
    return null;
  }

  positionFor(frame: Frame): Promise<PositionLookup> {
    return lookupOnTrack(this.track, frame.capturedAtMs, this.sourceName, this.link, {
      waitForSampleMs: this.lookup.waitForSampleMs,
      maxGapMs: this.lookup.track.maxGapMs,
    });
  }

  async close(): Promise<void> {
    this.track.releaseWaiters();
    const socket = this.socket;
    this.socket = null;
    const serial = this.serial;
    this.serial = null;
    await Promise.all([closeUdpTelemetry(socket), serial?.close()]);
  }
}
