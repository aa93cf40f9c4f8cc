// SoC temperature (sysfs) and the Raspberry Pi firmware's throttle flags (vcgencmd), plus the policy that
// backs off before the firmware throttles: above highC lower the load, below lowC restore it (hysteresis).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_THERMAL_ROOT = '/sys/class/thermal';

/** °C of the SoC: the zone typed cpu-thermal (Pi) or soc/x86_pkg_temp, else the first zone; null without sysfs. */
export async function readSocTemperatureC(root: string = DEFAULT_THERMAL_ROOT): Promise<number | null> {
  let zones: string[];
  try {
    zones = (await readdir(root)).filter((z) => z.startsWith('thermal_zone')).sort();
  } catch {
    return null;
  }
  const typed: Array<{ zone: string; type: string }> = [];
  for (const zone of zones) {
    const type = await readFile(join(root, zone, 'type'), 'utf8').then(
      (t) => t.trim(),
      () => '',
    );
    typed.push({ zone, type });
  }
  const preferred = typed.find((z) => /^(cpu-thermal|cpu_thermal|soc-thermal|x86_pkg_temp)$/.test(z.type)) ?? typed[0];
  if (!preferred) return null;
  const milli = Number((await readFile(join(root, preferred.zone, 'temp'), 'utf8').catch(() => '')).trim());
  return Number.isFinite(milli) && milli !== 0 ? milli / 1000 : null;
}

export interface ThrottleFlags {
  raw: number;
  underVoltageNow: boolean;
  freqCappedNow: boolean;
  throttledNow: boolean;
  softTempLimitNow: boolean;
  underVoltageOccurred: boolean;
  freqCappedOccurred: boolean;
  throttledOccurred: boolean;
  softTempLimitOccurred: boolean;
}

/** Parses `throttled=0x50005` (bits documented in the Raspberry Pi firmware's vcgencmd notes). */
export function parseThrottled(text: string): ThrottleFlags | null {
  const m = /throttled=0x([0-9a-f]+)/i.exec(text);
  if (!m?.[1]) return null;
  const raw = parseInt(m[1], 16);
  const bit = (n: number) => (raw & (1 << n)) !== 0;
  return {
    raw,
    underVoltageNow: bit(0),
    freqCappedNow: bit(1),
    throttledNow: bit(2),
    softTempLimitNow: bit(3),
    underVoltageOccurred: bit(16),
    freqCappedOccurred: bit(17),
    throttledOccurred: bit(18),
    softTempLimitOccurred: bit(19),
  };
}

/** The firmware's flags via `vcgencmd get_throttled`; null where vcgencmd does not exist (not a Pi). */
export function readThrottleFlags(command = 'vcgencmd'): Promise<ThrottleFlags | null> {
  return new Promise((resolve) => {
    execFile(command, ['get_throttled'], { timeout: 2000 }, (err, stdout) => resolve(err ? null : parseThrottled(stdout)));
  });
}

export type ThermalAction = 'reduce' | 'restore' | null;

/** Hysteresis between highC and lowC so the load does not flap around one threshold. */
export class ThermalPolicy {
  private hot = false;

  constructor(
    readonly highC: number,
    readonly lowC: number,
  ) {
    if (!(lowC < highC)) throw new Error(`thermal: lowC (${lowC}) must be below highC (${highC})`);
  }

  get state(): 'normal' | 'reduced' {
    return this.hot ? 'reduced' : 'normal';
  }

  /** Feed a reading; returns the change to make, or null to keep things as they are. */
  update(temperatureC: number | null, flags: ThrottleFlags | null = null): ThermalAction {
    const firmwareBackingOff = flags?.softTempLimitNow === true || flags?.throttledNow === true;
    if (!this.hot && ((temperatureC !== null && temperatureC >= this.highC) || firmwareBackingOff)) {
      this.hot = true;
      return 'reduce';
    }
    if (this.hot && temperatureC !== null && temperatureC <= this.lowC && !firmwareBackingOff) {
      this.hot = false;
      return 'restore';
    }
    return null;
  }
}
