// Groups NMEA sentences into per-epoch fixes (one FixSample per receiver time) and counts what it could not use.
import { parseNmeaSentence, type NmeaSentence } from './nmea-sentence.js';
import type { FixSample } from './track.js';

export interface NmeaStats {
  /** Sentences that contributed to a fix. */
  used: number;
  badChecksum: number;
  /**
   * Truncated, garbled or unparsable lines, and sentences whose checksum matched but whose values cannot be true
   * (latitude 91, minutes 75, -5 satellites, 30 February): none of their values is used.
   */
  malformed: number;
  /** Valid sentences of types not used for positions (GSV, GLL, TXT, proprietary...). */
  ignored: number;
  /** Epochs emitted, and how many of them had no fix. */
  epochs: number;
  noFixEpochs: number;
  /** Receiver time went backwards (not a midnight rollover): a restart or a concatenated log. */
  timeJumpsBack: number;
  /** Epochs dropped because no date was known yet (no RMC/ZDA and no fallback date). */
  undated: number;
}

export interface NmeaDecoderOptions {
  /** Date used until an RMC or ZDA gives one (UTC midnight, ms); null = drop undated epochs. */
  fallbackDateMs?: () => number | null;
}

interface Epoch {
  timeOfDayMs: number | null;
  gga?: Extract<NmeaSentence, { kind: 'GGA' }>;
  gns?: Extract<NmeaSentence, { kind: 'GNS' }>;
  rmc?: Extract<NmeaSentence, { kind: 'RMC' }>;
  gll?: Extract<NmeaSentence, { kind: 'GLL' }>;
  vtg?: Extract<NmeaSentence, { kind: 'VTG' }>;
  gsaMode: number | null;
  gsaHdop: number | null;
}

const DAY_MS = 86_400_000;

function emptyEpoch(timeOfDayMs: number | null): Epoch {
  return { timeOfDayMs, gsaMode: null, gsaHdop: null };
}

export class NmeaDecoder {
  readonly stats: NmeaStats = {
    used: 0,
    badChecksum: 0,
    malformed: 0,
    ignored: 0,
    epochs: 0,
    noFixEpochs: 0,
    timeJumpsBack: 0,
    undated: 0,
  };
  private epoch: Epoch = emptyEpoch(null);
  private dateMs: number | null = null;
  private lastTimeMs: number | null = null;

  constructor(
    private readonly onFix: (sample: FixSample) => void,
    private readonly options: NmeaDecoderOptions = {},
  ) {}

  /** True once an RMC or ZDA gave the date: sample times are then GPS time, not partly the caller's clock. */
  get dated(): boolean {
    return this.dateMs !== null;
  }

  /** Feeds one line (comments and blank lines are skipped). */
  line(raw: string): void {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const parsed = parseNmeaSentence(text);
    if (!parsed.ok) {
      if (parsed.why === 'checksum') this.stats.badChecksum++;
      else if (parsed.why === 'malformed') this.stats.malformed++;
      else this.stats.ignored++;
      return;
    }
    const s = parsed.sentence;
    this.stats.used++;
    switch (s.kind) {
      case 'GGA':
      case 'GNS':
      case 'RMC':
      case 'GLL':
        this.startEpochAt(s.timeOfDayMs);
        if (s.kind === 'RMC' && s.dateMs !== null) this.dateMs = s.dateMs;
        // Two talkers ($GP and $GN) may report the same epoch: keep the first that has a position.
        if (s.kind === 'GGA' && (!this.epoch.gga || this.epoch.gga.latDeg === null)) this.epoch.gga = s;
        if (s.kind === 'GNS' && (!this.epoch.gns || this.epoch.gns.latDeg === null)) this.epoch.gns = s;
        if (s.kind === 'RMC' && (!this.epoch.rmc || this.epoch.rmc.latDeg === null)) this.epoch.rmc = s;
        if (s.kind === 'GLL' && (!this.epoch.gll || this.epoch.gll.latDeg === null)) this.epoch.gll = s;
        this.emitProvisional();
        break;
      case 'VTG':
        this.epoch.vtg = s;
        break;
      case 'GSA':
        // One GSA per constellation: the epoch's mode is the best of them.
        if (s.mode !== null) this.epoch.gsaMode = Math.max(this.epoch.gsaMode ?? 0, s.mode);
        if (s.hdop !== null && this.epoch.gsaHdop === null) this.epoch.gsaHdop = s.hdop;
        break;
      case 'ZDA':
        if (s.dateMs !== null) this.dateMs = s.dateMs;
        break;
    }
  }

  /** Emits the epoch in progress (end of a file or stream). */
  flush(): void {
    this.emit();
    this.epoch = emptyEpoch(null);
  }

  private startEpochAt(timeOfDayMs: number | null): void {
    if (timeOfDayMs === null) return;
    if (this.epoch.timeOfDayMs === null) {
      // Whatever came without any time (a receiver's no-fix cycles) belongs to no epoch: start clean.
      this.epoch = emptyEpoch(timeOfDayMs);
      return;
    }
    if (this.epoch.timeOfDayMs === timeOfDayMs) return;
    this.emit();
    this.epoch = emptyEpoch(timeOfDayMs);
  }

  /** Final emission of an epoch: counts it and moves the date and time line on. */
  private emit(): void {
    const built = this.build();
    if (built === null) return;
    if (built === 'undated') {
      this.stats.undated++;
      return;
    }
    if (built.rolledOver) this.dateMs = built.dateMs;
    if (built.jumpedBack) this.stats.timeJumpsBack++;
    this.lastTimeMs = built.sample.timeMs;
    this.stats.epochs++;
    if (!built.sample.fix) this.stats.noFixEpochs++;
    this.onFix(built.sample);
  }

  /**
   * Early emission while the epoch is still arriving: a live lookup gets the fix as soon as GGA or RMC is
   * in, instead of one epoch later; the final emission replaces it (same time).
   */
  private emitProvisional(): void {
    const built = this.build();
    if (built !== null && built !== 'undated' && built.sample.fix) this.onFix(built.sample);
  }

  private build(): { sample: FixSample; dateMs: number; rolledOver: boolean; jumpedBack: boolean } | 'undated' | null {
    const e = this.epoch;
    if (e.timeOfDayMs === null) return null;
    if (!e.gga && !e.gns && !e.rmc && !e.gll) return null;
    // The date comes from RMC (this epoch's, else the last seen), else ZDA, else the caller's clock.
    let dateMs = e.rmc?.dateMs ?? this.dateMs ?? this.options.fallbackDateMs?.() ?? null;
    if (dateMs === null) return 'undated';
    let timeMs = dateMs + e.timeOfDayMs;
    let rolledOver = false;
    let jumpedBack = false;
    const last = this.lastTimeMs;
    if (last !== null && timeMs < last) {
      if (e.rmc?.dateMs == null && last - timeMs > DAY_MS / 2) {
        // Past midnight before the next RMC brought the new date.
        dateMs += DAY_MS;
        timeMs += DAY_MS;
        rolledOver = true;
      } else {
        jumpedBack = true;
      }
    }

    const { gga, gns, rmc, gll, vtg } = e;
    // gpsd's rule (driver_nmea0183.c, processGGA): fewer than 3 satellites used is no fix, whatever the quality flag
    // says (the SiRF receiver of haicom-305N.log reports quality 1 with 0 satellites as it settles, 9 m from its next fix).
    // The whole epoch is then no fix: the same epoch's RMC "A" (or GSA 2D) does not bring it back. An empty satellites
    // field is unknown, not zero: such a receiver keeps its fixes.
    const ggaTooFewSatellites = gga !== undefined && gga.quality > 0 && gga.satellites !== null && gga.satellites < 3;
    const fromGga = gga && gga.quality > 0 && gga.latDeg !== null && !ggaTooFewSatellites ? gga : null;
    const fromGns = gns && gns.valid && gns.latDeg !== null ? gns : null;
    const fromRmc = rmc && rmc.valid && rmc.latDeg !== null ? rmc : null;
    const fromGll = gll && gll.valid && gll.latDeg !== null ? gll : null;
    const pos = fromGga ?? fromGns ?? fromRmc ?? fromGll;
    const gsaSaysNoFix = e.gsaMode === 1 && !fromGga && !fromGns;
    const speedMps = rmc?.speedMps ?? vtg?.speedMps ?? null;
    const courseDeg = rmc?.courseDeg ?? vtg?.courseDeg ?? null;
    const hdop = gga?.hdop ?? gns?.hdop ?? e.gsaHdop;
    const satellites = gga?.satellites ?? gns?.satellites ?? null;
    const base = { dateMs, rolledOver, jumpedBack };
    if (!pos || pos.latDeg === null || pos.lonDeg === null || gsaSaysNoFix || ggaTooFewSatellites) {
      return { ...base, sample: { timeMs, fix: null, fixType: 0, hdop: null, satellites, courseDeg: null, speedMps: null } };
    }
    const altMslM = fromGga?.altMslM ?? fromGns?.altMslM ?? null;
    // The receiver's own GSA mode wins; gpsd instead calls any fix with an altitude 3D (see the tests).
    const fixType = e.gsaMode !== null && e.gsaMode >= 2 ? e.gsaMode : altMslM !== null ? 3 : 2;
    return {
      ...base,
      sample: {
        timeMs,
        fix: { latDeg: pos.latDeg, lonDeg: pos.lonDeg, altMslM: fixType === 3 ? altMslM : null, altAglM: null },
        fixType,
        hdop,
        satellites,
        courseDeg,
        speedMps,
      },
    };
  }
}
