// Position source reading MAVLink v1/v2 telemetry over UDP (e.g. from mavlink-router), or a recorded .tlog (replays and tests).
import { readFile } from 'node:fs/promises';
import type { Logger } from '../platform/logger.js';
import { emptyScanStats, scanPackets, type MavlinkScanStats } from './mavlink-packet.js';
import { MavlinkTelemetry, type ArmingChange, type MavlinkTelemetryStats } from './mavlink-telemetry.js';
import { emptyTlogStats, readTlog, type TlogStats } from './tlog-reader.js';
import type { TrackOptions } from './track.js';
import type { LinkState } from './track-lookup.js';
import { linkFromSilence, listenUdpTelemetry } from './udp-telemetry-input.js';
import { UdpTrackPositionSource } from './udp-track-position-source.js';

/** Beyond this, the system clock and the autopilot's GPS time disagree enough to warn. */
const CLOCK_WARN_MS = 1_000;

export type MavlinkInput =
  | { type: 'udp'; host: string; port: number }
  /** A whole ground-station log read at open; its record times stand in for arrival times. */
  | { type: 'tlog'; path: string };

export interface MavlinkPositionSourceOptions {
  input: MavlinkInput;
  track: TrackOptions;
  waitForSampleMs: number;
  /** UDP: no packet from the vehicle for this long makes the link "down". */
  linkTimeoutMs: number;
  /** The vehicle to follow, 0 = the first autopilot heard (see MavlinkTelemetryOptions). */
  systemId: number;
  componentId: number;
  /** Arming and disarming of the vehicle (HEARTBEAT MAV_MODE_FLAG_SAFETY_ARMED), in arrival order. */
  onArming?: (change: ArmingChange) => void;
  logger?: Logger;
}

export class MavlinkPositionSource extends UdpTrackPositionSource {
  readonly telemetry: MavlinkTelemetry;
  readonly packetStats: MavlinkScanStats = emptyScanStats();
  readonly tlogStats: TlogStats = emptyTlogStats();
  private lastVehicleMs: number | null = null;
  /** Times the vehicle fell silent for longer than linkTimeoutMs and then came back. */
  private linkLosses = 0;
  private clockChecked = false;

  private constructor(private readonly options: MavlinkPositionSourceOptions) {
    super('mavlink', options);
    this.telemetry = new MavlinkTelemetry(
      this.track,
      { systemId: options.systemId, componentId: options.componentId },
      (change) => {
        options.logger?.info({ ...change, at: new Date(change.atMs).toISOString() }, change.armed ? 'vehicle armed' : 'vehicle disarmed');
        options.onArming?.(change);
      },
    );
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
    } else {
      await source.listen(input.host, input.port);
    }
    options.logger?.info({ input, stats: source.stats }, 'MAVLink position source open');
    return source;
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
    if (this.options.input.type === 'tlog') return { state: 'up', sinceMs: this.openedMs, detail: 'tlog file' };
    return linkFromSilence(this.lastVehicleMs, this.openedMs, this.options.linkTimeoutMs, {
      nothingYet: 'no MAVLink packet from the vehicle received yet',
      silentFor: (ms) => `no MAVLink packet from vehicle ${this.telemetry.vehicle} for ${ms} ms`,
    });
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
    let vehicle = false;
    scanPackets(bytes, (packet) => (vehicle = this.telemetry.handle(packet, receivedMs) || vehicle), this.packetStats);
    if (!vehicle) return;
    const silentMs = this.lastVehicleMs === null ? null : receivedMs - this.lastVehicleMs;
    if (silentMs === null || silentMs > this.options.linkTimeoutMs) {
      if (silentMs !== null) this.linkLosses++;
      this.options.logger?.info({ vehicle: this.telemetry.vehicle, silentMs }, 'MAVLink link up');
    }
    this.lastVehicleMs = receivedMs;
    this.checkClock();
  }

  /** Once GPS time is known: says how far the clock that stamps frames is off it (capturedAt is off as much). */
  private checkClock(): void {
    const offMs = this.telemetry.systemMinusGpsMs;
    if (this.clockChecked || offMs === null) return;
    this.clockChecked = true;
    const at = { systemMinusGpsMs: Math.round(offMs) };
    if (Math.abs(offMs) > CLOCK_WARN_MS) {
      this.options.logger?.warn(at, `system clock is ${(offMs / 1000).toFixed(1)} s off the autopilot's GPS time: capturedAt is off as much (positions still match frames); synchronise the clock (chrony with gpsd, or NTP)`);
    } else {
      this.options.logger?.info(at, "system clock agrees with the autopilot's GPS time");
    }
  }
}
