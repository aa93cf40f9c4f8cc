// The clock results are stamped on: this computer's, or GPS time when configured and a live source measured it; warns once when either is doubtful.
import type { Frame } from '../capture/frame-source.js';
import type { GpsTimeReference, PositionLookup, PositionSource } from '../geo/position-source.js';
import type { ClockSync } from '../platform/clock-sync.js';
import type { Logger } from '../platform/logger.js';

/** What a result says about its capturedAt. */
export interface ResultClock {
  /** system = this computer's clock; gps = this computer's stamp moved onto GPS time by the measured offset; frame = the frame's own time (EXIF, file, recording). */
  source: 'system' | 'gps' | 'frame';
  /** Whether this computer's clock was synchronised (NTP, chrony) at start; null = cannot tell. */
  synchronised: boolean | null;
  /** This computer's clock minus GPS time, ms, as measured from the position source; null without GPS time. */
  systemMinusGpsMs: number | null;
}

/** The clock part of the health document. */
export interface ClockHealth extends ResultClock {
  /** The configured reference (clock.reference). */
  reference: 'system' | 'gps';
  /** What the GPS time came from; null without GPS time. */
  gpsTimeFrom: string | null;
}

export interface ClockReferenceOptions {
  reference: 'system' | 'gps';
  /** Beyond this, this computer's clock and GPS time disagree enough to warn. */
  warnOffsetMs: number;
  logger: Logger;
}

/** Frames stamped by this computer's clock as they were captured (sensor times mapped onto it, or arrival). */
function systemStamped(frame: Frame): boolean {
  return frame.timeSource === 'sensor' || frame.timeSource === 'arrival';
}

export class ClockReference {
  #sync: ClockSync | null = null;
  #gpsTime: () => GpsTimeReference | null = () => null;
  #offsetLogged = false;

  constructor(private readonly options: ClockReferenceOptions) {}

  /**
   * The synchronisation check made at start: logged once, a warning when the clock is not synchronised. `relevant`
   * false (recorded input: a replay's frames carry their own times) logs it at debug only: it changes nothing there.
   */
  setSync(sync: ClockSync, effect: string, relevant = true): void {
    this.#sync = sync;
    const log = this.options.logger;
    if (!relevant) {
      log.debug({ clock: sync }, 'system clock check (recorded input: results keep the recorded times)');
      return;
    }
    if (sync.synchronized !== false) {
      log.info({ clock: sync }, sync.synchronized ? 'system clock synchronised' : 'system clock synchronisation unknown');
      return;
    }
    const fix =
      this.options.reference === 'gps'
        ? 'capturedAt follows GPS time once the position source gives it (clock.reference: gps)'
        : 'set clock.reference: gps to stamp results with GPS time from the position source';
    log.warn(
      { clock: sync },
      `system clock not synchronised: capturedAt is off ${effect}. Enable NTP (timedatectl set-ntp true) or a GPS time source (gpsd + chrony), or ${fix}`,
    );
  }

  /** Where GPS time comes from (the position source, live). */
  useGpsTime(source: () => GpsTimeReference | null): void {
    this.#gpsTime = source;
  }

  /** The current GPS offset; the first time one is known it is logged, as a warning when large. */
  #offset(): GpsTimeReference | null {
    const gps = this.#gpsTime();
    if (gps && !this.#offsetLogged) {
      this.#offsetLogged = true;
      const at = { systemMinusGpsMs: Math.round(gps.systemMinusGpsMs), from: gps.from, reference: this.options.reference };
      if (Math.abs(gps.systemMinusGpsMs) > this.options.warnOffsetMs) {
        const effect =
          this.options.reference === 'gps'
            ? 'results are stamped with GPS time (clock.reference: gps)'
            : 'capturedAt is off as much; clock.reference: gps would stamp results with GPS time';
        this.options.logger.warn(
          at,
          `system clock is ${(gps.systemMinusGpsMs / 1000).toFixed(1)} s off GPS time: ${effect}; synchronise the clock (chrony with gpsd, or NTP)`,
        );
      } else {
        this.options.logger.info(at, 'system clock agrees with GPS time');
      }
    }
    return gps;
  }

  /** The time a result states for a frame, and which clock that is on. */
  stamp(frame: Frame): { capturedAtMs: number; clock: ResultClock } {
    const gps = this.#offset();
    const base = { synchronised: this.#sync?.synchronized ?? null, systemMinusGpsMs: gps ? Math.round(gps.systemMinusGpsMs) : null };
    if (!systemStamped(frame)) return { capturedAtMs: frame.capturedAtMs, clock: { source: 'frame', ...base } };
    if (this.options.reference === 'gps' && gps) {
      return { capturedAtMs: frame.capturedAtMs - gps.systemMinusGpsMs, clock: { source: 'gps', ...base } };
    }
    return { capturedAtMs: frame.capturedAtMs, clock: { source: 'system', ...base } };
  }

  /**
   * Lookups on a track kept in GPS time (gpsd, NMEA) use the frame's time on GPS time when the reference is GPS, so a
   * wrong system clock no longer gives frames the position of another moment. Other tracks are left as they are.
   */
  lookups(position: PositionSource): PositionSource {
    if (this.options.reference !== 'gps' || position.trackClock !== 'gps') return position;
    return {
      positionFor: (frame: Frame): Promise<PositionLookup> => {
        const gps = this.#offset();
        if (!gps || !systemStamped(frame)) return position.positionFor(frame);
        return position.positionFor({ ...frame, capturedAtMs: frame.capturedAtMs - gps.systemMinusGpsMs });
      },
      close: () => position.close(),
    };
  }

  health(): ClockHealth {
    const gps = this.#offset();
    return {
      reference: this.options.reference,
      source: this.options.reference === 'gps' && gps ? 'gps' : 'system',
      synchronised: this.#sync?.synchronized ?? null,
      systemMinusGpsMs: gps ? Math.round(gps.systemMinusGpsMs) : null,
      gpsTimeFrom: gps?.from ?? null,
    };
  }
}
