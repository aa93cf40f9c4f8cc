// Position source reading MAVLink v1/v2 telemetry over UDP (e.g. from mavlink-router) or a serial device, or a recorded .tlog (replays and tests).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';
import { emptyScanStats, scanPackets, type MavlinkScanStats } from './mavlink-packet.js';
import { MavlinkTelemetry, type ArmingChange, type MavlinkTelemetryStats } from './mavlink-telemetry.js';
import type { GpsTimeReference } from './position-source.js';
import type { PositionHealth } from './telemetry-health.js';
import { emptyTlogStats, readTlog, type TlogStats } from './tlog-reader.js';
import type { TrackOptions } from './track.js';
import type { LinkState } from './track-lookup.js';
import { linkFromSilence, listenUdpTelemetry } from './udp-telemetry-input.js';
import { UdpTrackPositionSource } from './udp-track-position-source.js';

export type MavlinkInput =
  | { type: 'udp'; host: string; port: number }
  /** The flight controller's TELEM port (or a USB link), 8N1 at baudRate. */
  | { type: 'serial'; path: string; baudRate: number }
  /** A whole ground-station log read at open; its record times stand in for arrival times. */
  | { type: 'tlog'; path: string };

export interface MavlinkPositionSourceOptions {
  input: MavlinkInput;
  track: TrackOptions;
  waitForSampleMs: number;
  /** UDP and serial: no packet from the vehicle for this long makes the link "down". */
  linkTimeoutMs: number;
  /** The vehicle to follow, 0 = the first autopilot heard (see MavlinkTelemetryOptions). */
  systemId: number;
  componentId: number;
  /** Arming and disarming of the vehicle (HEARTBEAT MAV_MODE_FLAG_SAFETY_ARMED), in arrival order. */
  onArming?: (change: ArmingChange) => void;
  logger?: Logger;
}

/** A serial stream with no packet start in this many bytes is not MAVLink (a packet is at most 280 bytes). */
const MAX_STREAM_TAIL = 1_024;

export class MavlinkPositionSource extends UdpTrackPositionSource {
  /** Boot times are mapped onto this computer's clock by arrival: the track is on the clock frames are stamped with. */
  readonly trackClock = 'system' as const;
  readonly telemetry: MavlinkTelemetry;
  readonly packetStats: MavlinkScanStats = emptyScanStats();
  readonly tlogStats: TlogStats = emptyTlogStats();
  /** Every arming change so far (a few per flight), for observers that subscribe after the source opened. */
  readonly armingChanges: ArmingChange[] = [];
  private readonly armingListeners = new Set<(change: ArmingChange) => void>();
  /** Bytes of a packet cut by the end of a serial read, kept for the next one. */
  private tail: Buffer = Buffer.alloc(0);

  private constructor(private readonly options: MavlinkPositionSourceOptions) {
    super('mavlink', options);
    this.telemetry = new MavlinkTelemetry(this.track, { systemId: options.systemId, componentId: options.componentId }, (change) => {
      options.logger?.info({ ...change, at: new Date(change.atMs).toISOString() }, change.armed ? 'vehicle armed' : 'vehicle disarmed');
      this.armingChanges.push(change);
      options.onArming?.(change);
      for (const listener of this.armingListeners) listener(change);
    });
  }

  static async open(options: MavlinkPositionSourceOptions): Promise<MavlinkPositionSource> {
    const source = new MavlinkPositionSource(options);
    const input = options.input;
    if (input.type === 'tlog') {
      let bytes: Buffer;
      try {
        bytes = await readFile(input.path);
      } catch (err) {
        throw new Error(`position.mavlink.path: cannot read the .tlog ${input.path}: ${(err as Error).message}`, { cause: err });
      }
      for (const record of readTlog(bytes, source.tlogStats)) source.telemetry.handle(record.packet, record.receivedMs);
      if (source.tlogStats.records === 0) {
        throw new Error(`position.mavlink.path: ${input.path} holds no MAVLink packets with a valid checksum; expected a .tlog (8-byte time + packet records)`);
      }
    } else if (input.type === 'serial') {
      await source.openSerial(input, 'position.mavlink', 'MAVLink', (bytes, receivedMs) => source.streamed(bytes, receivedMs), options.logger);
    } else {
      await source.listen(input.host, input.port);
    }
    options.logger?.info({ input, stats: source.stats }, 'MAVLink position source open');
    return source;
  }

  observeArming(listener: (change: ArmingChange) => void): () => void {
    for (const change of this.armingChanges) listener(change);
    this.armingListeners.add(listener);
    return () => this.armingListeners.delete(listener);
  }

  get stats(): MavlinkTelemetryStats & {
    packets: MavlinkScanStats;
    tlog: TlogStats;
    linkLosses: number;
    /** Receiver clock minus the autopilot's GPS time (SYSTEM_TIME), ms; null without GPS time. */
    systemMinusGpsMs: number | null;
    trackResets: number;
    samples: number;
  } {
    return {
      ...this.telemetry.stats,
      linkLosses: this.linkLosses,
      systemMinusGpsMs: this.telemetry.systemMinusGpsMs,
      packets: { ...this.packetStats },
      tlog: { ...this.tlogStats },
      trackResets: this.track.resets,
      samples: this.track.size,
    };
  }

  get link(): LinkState {
    const input = this.options.input;
    if (input.type === 'tlog') return { state: 'up', sinceMs: this.openedMs, detail: 'tlog file' };
    const unplugged = this.serialDown();
    if (unplugged) return unplugged;
    return linkFromSilence(this.lastDataMs, this.openedMs, this.options.linkTimeoutMs, {
      nothingYet: 'no MAVLink packet from the vehicle received yet',
      silentFor: (ms) => `no MAVLink packet from vehicle ${this.telemetry.vehicle} for ${ms} ms`,
    });
  }

  health(): PositionHealth {
    const health = this.healthWith('mavlink', this.options.input.type, {
      garbled: this.packetStats.crcErrors + this.tlogStats.unverified,
      droppedPackets: this.telemetry.stats.seqGaps,
    });
    // GLOBAL_POSITION_INT carries no fix quality; the last GPS_RAW_INT does.
    const gps = this.telemetry.gpsQuality;
    return gps ? { ...health, fixType: gps.fixType, hdop: gps.hdop, satellites: gps.satellites } : health;
  }

  /** From SYSTEM_TIME received live (a .tlog's record times are the ground station's clock, not this one). */
  gpsTime(): GpsTimeReference | null {
    const offset = this.telemetry.systemMinusGpsMs;
    return this.options.input.type === 'tlog' || offset === null ? null : { systemMinusGpsMs: offset, from: 'MAVLink SYSTEM_TIME' };
  }

  private async listen(host: string, port: number): Promise<void> {
    this.socket = await listenUdpTelemetry({
      host,
      port,
      configPath: 'position.mavlink',
      protocol: 'MAVLink',
      onDatagram: (bytes, receivedMs) => this.datagram(bytes, receivedMs),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
  }

  /** One datagram: whole packets only (UDP never splits one), so an incomplete tail is dropped, not kept. */
  datagram(bytes: Buffer, receivedMs: number): void {
    this.packets(bytes, receivedMs);
  }

  /** A serial read: packets may be cut anywhere, so the incomplete end waits for the next read. */
  private streamed(bytes: Buffer, receivedMs: number): void {
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, bytes]) : bytes;
    const incomplete = this.packets(buf, receivedMs);
    this.tail = incomplete > 0 && incomplete <= MAX_STREAM_TAIL ? Buffer.from(buf.subarray(buf.length - incomplete)) : Buffer.alloc(0);
  }

  /** Scans bytes for packets; returns how many bytes at the end belong to an incomplete packet. */
  private packets(bytes: Buffer, receivedMs: number): number {
    let vehicle = false;
    const incomplete = scanPackets(bytes, (packet) => (vehicle = this.telemetry.handle(packet, receivedMs) || vehicle), this.packetStats);
    if (vehicle) {
      const first = this.lastDataMs === null;
      const silentMs = this.dataArrived(receivedMs, this.options.linkTimeoutMs);
      if (first || silentMs !== null) this.options.logger?.info({ vehicle: this.telemetry.vehicle, silentMs }, 'MAVLink link up');
    }
    return incomplete;
  }
}
