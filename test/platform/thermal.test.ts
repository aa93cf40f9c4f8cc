// Thermal readings from a fake sysfs tree and the firmware flag parser; the back-off policy's hysteresis.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseThrottled, readSocTemperatureC, readThrottleFlags, ThermalPolicy } from '../../src/platform/thermal.js';

function fakeSysfs(zones: Array<{ type: string; milliC: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'fieldeye-thermal-'));
  zones.forEach((z, i) => {
    const dir = join(root, `thermal_zone${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'type'), `${z.type}\n`);
    writeFileSync(join(dir, 'temp'), `${z.milliC}\n`);
  });
  return root;
}

describe('readSocTemperatureC', () => {
  it('reads the Pi cpu-thermal zone in °C', async () => {
    expect(
      await readSocTemperatureC(
        fakeSysfs([
          { type: 'gpu-thermal', milliC: '40000' },
          { type: 'cpu-thermal', milliC: '71540' },
        ]),
      ),
    ).toBe(71.54);
  });
  it('falls back to the first zone, and to null without sysfs', async () => {
    expect(await readSocTemperatureC(fakeSysfs([{ type: 'acpitz', milliC: '55000' }]))).toBe(55);
    expect(await readSocTemperatureC('/nonexistent/thermal')).toBeNull();
  });
});

describe('throttle flags', () => {
  it('decodes vcgencmd get_throttled', () => {
    const f = parseThrottled('throttled=0x50005\n');
    expect(f).toMatchObject({
      raw: 0x50005,
      underVoltageNow: true,
      throttledNow: true,
      freqCappedNow: false,
      underVoltageOccurred: true,
      throttledOccurred: true,
      softTempLimitOccurred: false,
    });
    expect(parseThrottled('throttled=0x0')?.throttledNow).toBe(false);
    expect(parseThrottled('garbage')).toBeNull();
  });
  it('is null where vcgencmd does not exist', async () => {
    expect(await readThrottleFlags('/nonexistent/vcgencmd')).toBeNull();
  });
});

describe('ThermalPolicy', () => {
  it('reduces above highC, restores only below lowC', () => {
    const p = new ThermalPolicy(75, 68);
    expect([70, 74.9, 75, 80, 72, 69, 68, 60, 76].map((t) => p.update(t))).toEqual([null, null, 'reduce', null, null, null, 'restore', null, 'reduce']);
  });
  it('reduces when the firmware reports soft temperature limiting, whatever the reading', () => {
    const p = new ThermalPolicy(80, 70);
    expect(p.update(60, parseThrottled('throttled=0x8'))).toBe('reduce');
    expect(p.update(60, parseThrottled('throttled=0x8'))).toBeNull();
    expect(p.update(60, parseThrottled('throttled=0x0'))).toBe('restore');
  });
  it('refuses thresholds in the wrong order', () => {
    expect(() => new ThermalPolicy(70, 75)).toThrow('thermal: lowC (75) must be below highC (70)');
  });
});
