// Position source speaking gpsd's JSON protocol (TPV, SKY, ATT) over TCP, reconnecting with backoff when the link drops.
import { createConnection, type Socket } from 'node:net';
import type { Frame } from '../capture/frame-source.js';
import type { Logger } from '../platform/logger.js';
import { BootClock } from './mavlink-boot-clock.js';
import type { GpsTimeReference, PositionLookup, PositionSource } from './position-source.js';
import { TelemetryMonitor, type PositionHealth } from './telemetry-health.js';
import { Track, type TrackOptions } from './track.js';
import { lookupOnTrack, type LinkState } from './track-lookup.js';

export interface GpsdPositionSourceOptions {
  host: string;
  port: number;
  track: TrackOptions;
  waitForSampleMs: number;
  /** Reconnect delays double from min to max, each a random 50-100 % of that (many drones, one gpsd restart). */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger?: Logger;
}

export interface GpsdStats {
  connects: number;
  disconnects: number;
  tpv: number;
  att: number;
  /**
   * Lines that were not JSON, TPVs without a time (gpsd's first TPV often has none), and reports with a value that
   * cannot be true (latitude 91, -5 satellites used, 30 February): dropped whole, never half used.
   */
  unusable: number;
}

const WATCH = '?WATCH={"enable":true,"json":true};\n';

/** Allowed range of each number gpsd may send that fieldeye uses; a value outside it makes the report unusable. */
const RANGES: Record<string, { min: number; max: number; whole?: true }> = {
  mode: { min: 0, max: 3, whole: true },
  lat: { min: -90, max: 90 },
  lon: { min: -180, max: 180 },
  alt: { min: -Infinity, max: Infinity },
  altMSL: { min: -Infinity, max: Infinity },
  speed: { min: 0, max: Infinity },
  track: { min: 0, max: 360 },
  hdop: { min: 0, max: Infinity },
  uSat: { min: 0, max: Infinity, whole: true },
  heading: { min: 0, max: 360 },
  pitch: { min: -180, max: 180 },
  roll: { min: -180, max: 180 },
};

/** The first field of a report that is present but impossible, or null when every field used is plausible. */
function impossibleField(msg: Record<string, unknown>): string | null {
  for (const [key, r] of Object.entries(RANGES)) {
    if (!(key in msg)) continue;
    const v = msg[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < r.min || v > r.max || (r.whole && !Number.isInteger(v))) return `${key} ${JSON.stringify(v)}`;
  }
  const time = msg['time'];
  if (time !== undefined && !isCalendarTime(time)) return `time ${JSON.stringify(time)}`;
  return null;
}

/** An ISO 8601 UTC time whose date and clock exist (Date.parse takes 30 February as 2 March). */
function isCalendarTime(time: unknown): boolean {
  if (typeof time !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(time);
  if (!m || !Number.isFinite(Date.parse(time))) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  return at.getUTCMonth() === mo - 1 && at.getUTCDate() === d && h < 24 && mi < 60 && sec < 60;
}

export class GpsdPositionSource implements PositionSource {
  readonly track: Track;
  /** TPV times are the receiver's GPS time. */
  readonly trackClock = 'gps' as const;
  readonly stats: GpsdStats = { connects: 0, disconnects: 0, tpv: 0, att: 0, unusable: 0 };
  private socket: Socket | null = null;
  private linkState: LinkState = { state: 'down', sinceMs: Date.now(), detail: 'not connected yet' };
  private delayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private buffered = '';
  private sky: { hdop: number | null; satellites: number | null } = { hdop: null, satellites: null };
  private readonly monitor: TelemetryMonitor;
  /** Arrival minus TPV time, smallest over a sliding window: this computer's clock against GPS time. */
  private readonly gpsClock = new BootClock();
  private gpsTimeSeen = false;

  constructor(private readonly options: GpsdPositionSourceOptions) {
    this.track = new Track(options.track);
    this.monitor = new TelemetryMonitor(this.track);
    this.delayMs = options.reconnectMinMs;
  }

  health(): PositionHealth {
    return {
      type: 'gpsd',
      input: 'tcp',
      link: this.linkState.state,
      linkDetail: this.linkState.detail,
      linkLosses: this.stats.disconnects,
      ...this.monitor.snapshot(),
      garbled: this.stats.unusable,
      droppedPackets: null,
    };
  }

  gpsTime(): GpsTimeReference | null {
    const offset = this.gpsClock.offsetMs;
    return this.gpsTimeSeen && offset !== null ? { systemMinusGpsMs: offset, from: 'gpsd TPV time' } : null;
  }

  /** Starts connecting; resolves after the first attempt, connected or not (gpsd may come up later). */
  static async open(options: GpsdPositionSourceOptions): Promise<GpsdPositionSource> {
    const source = new GpsdPositionSource(options);
    await source.connect();
    return source;
  }

  get link(): LinkState {
    return this.linkState;
  }

  private setLink(state: LinkState['state'], detail: string): void {
    if (this.linkState.state !== state) {
      this.options.logger?.[state === 'up' ? 'info' : 'warn']({ host: this.options.host, port: this.options.port, detail }, `gpsd link ${state}`);
      this.linkState = { state, sinceMs: Date.now(), detail };
    } else {
      this.linkState = { ...this.linkState, detail };
    }
  }

  private connect(): Promise<void> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: this.options.host, port: this.options.port });
      this.socket = socket;
      socket.setEncoding('utf8');
      let settled = false;
      const settle = (): void => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      socket.on('connect', () => {
        this.stats.connects++;
        this.delayMs = this.options.reconnectMinMs;
        this.buffered = '';
        this.setLink('up', 'connected');
        socket.write(WATCH);
        settle();
      });
      socket.on('data', (chunk: string) => this.onData(chunk));
      socket.on('error', (err) => this.setLink('down', err.message));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = null;
        if (this.linkState.state === 'up') this.stats.disconnects++;
        this.setLink('down', this.linkState.state === 'up' ? 'connection closed by gpsd' : this.linkState.detail);
        settle();
        this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const delay = this.delayMs * (0.5 + Math.random() * 0.5);
    this.delayMs = Math.min(this.delayMs * 2, this.options.reconnectMaxMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) void this.connect();
    }, delay);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line !== '') this.onLine(line);
    }
    // gpsd's reports are a few KB at most; anything longer without a newline is not gpsd.
    if (this.buffered.length > 1_000_000) this.buffered = '';
  }

  /** One gpsd JSON report. Exposed for tests of recorded gpsd output. */
  onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.stats.unusable++;
      return;
    }
    const num = (k: string): number | null => {
      const v = msg[k];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    };
    const timeMs = typeof msg['time'] === 'string' ? Date.parse(msg['time']) : NaN;
    const kind = msg['class'];
    const impossible = kind === 'SKY' || kind === 'TPV' || kind === 'ATT' ? impossibleField(msg) : null;
    if (impossible !== null) {
      // Garbled like a line that is not JSON: a TPV at latitude 91 or a SKY with -5 satellites used reaches no result.
      this.stats.unusable++;
      this.options.logger?.debug({ class: kind, field: impossible }, 'gpsd report with an impossible value dropped');
      return;
    }
    switch (kind) {
      case 'SKY': {
        const hdop = num('hdop');
        const used = num('uSat');
        if (hdop !== null) this.sky.hdop = hdop;
        if (used !== null) this.sky.satellites = used;
        break;
      }
      case 'TPV': {
        if (!Number.isFinite(timeMs)) {
          this.stats.unusable++;
          return;
        }
        this.stats.tpv++;
        const mode = num('mode') ?? 0;
        // Without a fix a receiver's time may still be its own guess: only fixes measure this clock.
        if (mode >= 2) {
          this.gpsClock.observe(timeMs, Date.now());
          this.gpsTimeSeen = true;
        }
        const lat = num('lat');
        const lon = num('lon');
        const speedMps = num('speed');
        if (mode < 2 || lat === null || lon === null) {
          this.track.addFix({ timeMs, fix: null, fixType: 0, hdop: null, satellites: this.sky.satellites, courseDeg: null, speedMps: null });
          return;
        }
        this.track.addFix({
          timeMs,
          // gpsd >= 3.20 splits altitude into altMSL and altHAE; older ones send "alt" (MSL).
          fix: { latDeg: lat, lonDeg: lon, altMslM: mode === 3 ? (num('altMSL') ?? num('alt')) : null, altAglM: null },
          fixType: mode,
          hdop: this.sky.hdop,
          satellites: this.sky.satellites,
          courseDeg: num('track'),
          speedMps,
        });
        break;
      }
      case 'ATT': {
        const heading = num('heading');
        const pitch = num('pitch');
        const roll = num('roll');
        if (!Number.isFinite(timeMs) || heading === null || pitch === null || roll === null) {
          this.stats.unusable++;
          return;
        }
        this.stats.att++;
        this.track.addAttitude({ timeMs, rollDeg: roll, pitchDeg: pitch, yawDeg: heading });
        break;
      }
      default:
        break;
    }
  }

  positionFor(frame: Frame): Promise<PositionLookup> {
    return lookupOnTrack(this.track, frame.capturedAtMs, 'gpsd', this.linkState, {
      waitForSampleMs: this.options.waitForSampleMs,
      maxGapMs: this.options.track.maxGapMs,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.track.releaseWaiters();
    const socket = this.socket;
    this.socket = null;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      });
    }
  }
}
