// Turns one vehicle's MAVLink telemetry (position, GPS quality, attitude, gimbal, arming, GPS time) into track samples on the receiver's clock.
import { common, minimal } from 'node-mavlink';
import { BootClock, type BootClockOptions } from './mavlink-boot-clock.js';
import { decodePacket, type MavlinkPacket } from './mavlink-packet.js';
import type { Track } from './track.js';

const MSG = {
  HEARTBEAT: 0,
  SYSTEM_TIME: 2,
  GPS_RAW_INT: 24,
  ATTITUDE: 30,
  GLOBAL_POSITION_INT: 33,
  GIMBAL_DEVICE_ATTITUDE_STATUS: 285,
} as const;

const MAV_AUTOPILOT_INVALID = 8;
const MAV_TYPE_GCS = 6;
const MAV_MODE_FLAG_SAFETY_ARMED = 128;
const GIMBAL_DEVICE_FLAGS_YAW_LOCK = 16;
const GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME = 32;
const GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME = 64;
const UINT16_UNKNOWN = 65535;
const UINT8_UNKNOWN = 255;
const RAD = 180 / Math.PI;

/** GPS_RAW_INT quality is applied to positions received at most this long after it. */
const GPS_QUALITY_MAX_AGE_MS = 5_000;
/** Below this ground speed the velocity's direction is noise, not a course. */
const MIN_COURSE_SPEED_MPS = 0.5;

export interface MavlinkTelemetryOptions {
  /** The vehicle to follow; 0 = the first system that sends an autopilot HEARTBEAT or a GLOBAL_POSITION_INT. */
  systemId: number;
  /** Its component; 0 = the component of that first packet (ArduPilot and PX4 autopilots send as 1). */
  componentId: number;
  clock?: Partial<BootClockOptions>;
}

export interface ArmingChange {
  armed: boolean;
  /** When the HEARTBEAT that showed the change arrived (receiver's clock, ms since the epoch). */
  atMs: number;
  sysid: number;
}

export interface MavlinkTelemetryStats {
  globalPosition: number;
  /** GLOBAL_POSITION_INT while the GPS reports no fix, or at 0/0 (no EKF origin yet): kept as "no fix". */
  noFix: number;
  gpsRaw: number;
  attitude: number;
  systemTime: number;
  heartbeats: number;
  /** GIMBAL_DEVICE_ATTITUDE_STATUS from the vehicle's system (any component: the gimbal sends as its own). */
  gimbal: number;
  /** Packets from other systems or components (the GCS, a radio): not part of the vehicle's track. */
  otherSenders: number;
  autopilotReboots: number;
  /** Packets missing from the vehicle's sequence numbers (lost on the link, or arriving out of order). */
  seqGaps: number;
}

interface GpsQuality {
  fixType: number;
  hdop: number | null;
  satellites: number | null;
  receivedMs: number;
}

/** MAVLink GPS_FIX_TYPE (0 no GPS ... 6 RTK fixed, 8 PPP) to the result's 0/2/3. */
export function positionFixType(gpsFixType: number): number {
  if (gpsFixType >= 3) return 3;
  return gpsFixType === 2 ? 2 : 0;
}

export class MavlinkTelemetry {
  readonly clock: BootClock;
  readonly stats: MavlinkTelemetryStats = {
    globalPosition: 0,
    noFix: 0,
    gpsRaw: 0,
    attitude: 0,
    systemTime: 0,
    heartbeats: 0,
    gimbal: 0,
    otherSenders: 0,
    autopilotReboots: 0,
    seqGaps: 0,
  };
  /** The vehicle's last GPS_RAW_INT quality (fix type 0-3, hdop, satellites); null before the first. */
  get gpsQuality(): { fixType: number; hdop: number | null; satellites: number | null } | null {
    return this.gps ? { fixType: positionFixType(this.gps.fixType), hdop: this.gps.hdop, satellites: this.gps.satellites } : null;
  }
  /** The vehicle's arming state from its last HEARTBEAT; null before the first. */
  armed: boolean | null = null;
  /** GPS time minus time_boot_ms, from SYSTEM_TIME (exact: both stamped by the autopilot); null without GPS time. */
  gpsMinusBootMs: number | null = null;
  private sysid: number;
  private compid: number;
  private gps: GpsQuality | null = null;
  private lastSeq: number | null = null;
  private readonly gimbalClock: BootClock;

  constructor(
    private readonly track: Track,
    options: MavlinkTelemetryOptions,
    private readonly onArming?: (change: ArmingChange) => void,
  ) {
    this.sysid = options.systemId;
    this.compid = options.componentId;
    this.clock = new BootClock(options.clock);
    this.gimbalClock = new BootClock(options.clock);
  }

  /** The followed vehicle as "sysid/compid", or null before it is known. */
  get vehicle(): string | null {
    return this.sysid === 0 ? null : `${this.sysid}/${this.compid}`;
  }

  /**
   * Receiver clock minus GPS time, ms, when SYSTEM_TIME carries GPS time: how far the clock frames are stamped
   * with is off. It includes the smallest link delay (a few ms on a local link).
   */
  get systemMinusGpsMs(): number | null {
    const offset = this.clock.offsetMs;
    return offset === null || this.gpsMinusBootMs === null ? null : offset - this.gpsMinusBootMs;
  }

  /** One checked packet and when it arrived (receiver's clock, or the .tlog record time); false when not from the vehicle. */
  handle(packet: MavlinkPacket, receivedMs: number): boolean {
    if (packet.msgid === MSG.GIMBAL_DEVICE_ATTITUDE_STATUS && this.sysid !== 0 && packet.sysid === this.sysid) {
      this.gimbal(decodePacket(packet) as common.GimbalDeviceAttitudeStatus, receivedMs);
      return true;
    }
    if (!this.isVehicle(packet)) {
      this.stats.otherSenders++;
      return false;
    }
    this.countSeq(packet.seq);
    this.message(packet, receivedMs);
    return true;
  }

  /** Sequence numbers count up by one per packet (mod 256): a jump forward is that many packets missing. */
  private countSeq(seq: number): void {
    if (this.lastSeq !== null) {
      const gap = (seq - this.lastSeq - 1) & 0xff;
      // 255 is a repeat; a jump of half the range or more is a late packet (reordering), not a loss.
      if (gap === 255 || gap >= 128) return;
      this.stats.seqGaps += gap;
    }
    this.lastSeq = seq;
  }

  private gimbal(m: common.GimbalDeviceAttitudeStatus, receivedMs: number): void {
    this.stats.gimbal++;
    const flags = m.flags as number;
    // MAVLink: the explicit frame flags win; without them, YAW_LOCK means earth frame (older gimbals).
    const earth =
      (flags & GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME) !== 0 ||
      ((flags & GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME) === 0 && (flags & GIMBAL_DEVICE_FLAGS_YAW_LOCK) !== 0);
    const q = [...m.q].slice(0, 4) as [number, number, number, number];
    // A gimbal device has its own boot time (it is its own component): mapped by its own clock; 0 = as old as its arrival.
    let timeMs = receivedMs;
    if (m.timeBootMs > 0) {
      this.gimbalClock.observe(m.timeBootMs, receivedMs);
      timeMs = this.gimbalClock.toWallMs(m.timeBootMs) as number;
    }
    const deltaYaw = Number.isFinite(m.deltaYaw) ? (m.deltaYaw * RAD + 360) % 360 : null;
    this.track.addGimbal({ timeMs, q, yawFrame: earth ? 'earth' : 'vehicle', vehicleYawDeg: earth ? null : deltaYaw });
  }

  private message(packet: MavlinkPacket, receivedMs: number): void {
    switch (packet.msgid) {
      case MSG.HEARTBEAT:
        return this.heartbeat(decodePacket(packet) as minimal.Heartbeat, receivedMs);
      case MSG.GPS_RAW_INT: {
        const m = decodePacket(packet) as common.GpsRawInt;
        this.stats.gpsRaw++;
        this.gps = {
          fixType: m.fixType,
          hdop: m.eph === UINT16_UNKNOWN ? null : m.eph / 100,
          satellites: m.satellitesVisible === UINT8_UNKNOWN ? null : m.satellitesVisible,
          receivedMs,
        };
        return;
      }
      case MSG.GLOBAL_POSITION_INT:
        return this.globalPosition(decodePacket(packet) as common.GlobalPositionInt, receivedMs);
      case MSG.ATTITUDE: {
        const m = decodePacket(packet) as common.Attitude;
        const timeMs = this.boot(m.timeBootMs, receivedMs);
        this.stats.attitude++;
        this.track.addAttitude({ timeMs, rollDeg: m.roll * RAD, pitchDeg: m.pitch * RAD, yawDeg: m.yaw * RAD });
        return;
      }
      case MSG.SYSTEM_TIME: {
        const m = decodePacket(packet) as common.SystemTime;
        this.stats.systemTime++;
        this.boot(m.timeBootMs, receivedMs);
        // ArduPilot sends 0 until the GPS has told it the time.
        if (m.timeUnixUsec > 0n) this.gpsMinusBootMs = Number(m.timeUnixUsec / 1000n) - m.timeBootMs;
        return;
      }
      default:
        return;
    }
  }

  private isVehicle(packet: MavlinkPacket): boolean {
    if (this.sysid === 0) {
      const claims =
        packet.msgid === MSG.GLOBAL_POSITION_INT || (packet.msgid === MSG.HEARTBEAT && isAutopilotHeartbeat(decodePacket(packet) as minimal.Heartbeat));
      if (!claims) return false;
      this.sysid = packet.sysid;
      if (this.compid === 0) this.compid = packet.compid;
    }
    if (packet.sysid !== this.sysid) return false;
    if (this.compid === 0) this.compid = packet.compid;
    return packet.compid === this.compid;
  }

  private boot(timeBootMs: number, receivedMs: number): number {
    if (this.clock.observe(timeBootMs, receivedMs) === 'reboot') {
      this.stats.autopilotReboots++;
      this.gpsMinusBootMs = null;
    }
    return this.clock.toWallMs(timeBootMs) as number;
  }

  private heartbeat(m: minimal.Heartbeat, receivedMs: number): void {
    if (!isAutopilotHeartbeat(m)) return;
    this.stats.heartbeats++;
    const armed = (m.baseMode & MAV_MODE_FLAG_SAFETY_ARMED) !== 0;
    if (armed === this.armed) return;
    this.armed = armed;
    this.onArming?.({ armed, atMs: receivedMs, sysid: this.sysid });
  }

  private globalPosition(m: common.GlobalPositionInt, receivedMs: number): void {
    const timeMs = this.boot(m.timeBootMs, receivedMs);
    this.stats.globalPosition++;
    const gps = this.gps !== null && receivedMs - this.gps.receivedMs <= GPS_QUALITY_MAX_AGE_MS ? this.gps : null;
    const quality = { hdop: gps?.hdop ?? null, satellites: gps?.satellites ?? null };
    // ArduPilot sends 0/0 until its EKF has an origin, and keeps sending the last estimate after the GPS loses its fix.
    if ((m.lat === 0 && m.lon === 0) || (gps !== null && gps.fixType < 2)) {
      this.stats.noFix++;
      this.track.addFix({ timeMs, fix: null, fixType: 0, ...quality, courseDeg: null, speedMps: null });
      return;
    }
    const speedMps = Math.hypot(m.vx, m.vy) / 100;
    this.track.addFix({
      timeMs,
      fix: { latDeg: m.lat / 1e7, lonDeg: m.lon / 1e7, altMslM: m.alt / 1000, altAglM: m.relativeAlt / 1000 },
      // Without GPS_RAW_INT (not streamed) the autopilot's own position estimate is all there is: count it as 3D.
      fixType: gps ? positionFixType(gps.fixType) : 3,
      ...quality,
      courseDeg: speedMps >= MIN_COURSE_SPEED_MPS ? (Math.atan2(m.vy, m.vx) * RAD + 360) % 360 : null,
      speedMps,
    });
  }
}

function isAutopilotHeartbeat(m: minimal.Heartbeat): boolean {
  return m.autopilot !== MAV_AUTOPILOT_INVALID && m.type !== MAV_TYPE_GCS;
}
