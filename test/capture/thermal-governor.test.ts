// ThermalGovernor on a fake sysfs tree: hot engages the frame-rate cap (frames dropped and counted), cool lifts it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame, FrameSource } from '../../src/capture/frame-source.js';
import { ThermalConfigSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/platform/logger.js';
import { ThermalGovernor } from '../../src/capture/thermal-governor.js';
import { FlightSessions } from '../../src/flight/flight-sessions.js';
import { parseThrottled, type ThrottleFlags } from '../../src/platform/thermal.js';

function fakeSysfs(): { root: string; setC(c: number): void } {
  const root = mkdtempSync(join(tmpdir(), 'fieldeye-thermal-'));
  // A non-SoC zone first, so the reader has to pick cpu-thermal by type.
  for (const [zone, type] of [
    ['thermal_zone0', 'wifi'],
    ['thermal_zone1', 'cpu-thermal'],
  ] as const) {
    mkdirSync(join(root, zone));
    writeFileSync(join(root, zone, 'type'), `${type}\n`);
    writeFileSync(join(root, zone, 'temp'), '30000\n');
  }
  return { root, setC: (c) => writeFileSync(join(root, 'thermal_zone1', 'temp'), `${Math.round(c * 1000)}\n`) };
}

/** 10 fps by capture time; `before(i)` runs before frame i is handed out (a check of the governor, say). */
function tenFps(count: number, before: (i: number) => Promise<void>): FrameSource {
  return {
    async *frames(): AsyncIterable<Frame> {
      for (let i = 0; i < count; i++) {
        await before(i);
        yield { seq: i, capturedAtMs: 1_000_000 + i * 100, timeSource: 'sensor', bytes: Buffer.alloc(0), name: `f${i}` };
      }
    },
    dropCounts: () => ({ slot: 0 }),
    close: async () => undefined,
  };
}

const logger = createLogger({ level: 'silent', pretty: false });

describe('ThermalGovernor', () => {
  it('caps frames to reducedFps above highC and lifts the cap below lowC, counting the drops as "thermal"', async () => {
    const sysfs = fakeSysfs();
    const config = ThermalConfigSchema.parse({ highC: 75, lowC: 70, reducedFps: 2, sysfsRoot: sysfs.root });
    const governor = new ThermalGovernor({ config, logger, readThrottle: async () => null });
    // 0-19 at 50 °C, 20-59 at 80 °C, 60-79 at 72 °C (between the thresholds: still reduced), 80-99 at 65 °C.
    const temperatureFor = (i: number) => (i < 20 ? 50 : i < 60 ? 80 : i < 80 ? 72 : 65);
    const states: string[] = [];
    const capped = governor.capFrames(
      tenFps(100, async (i) => {
        sysfs.setC(temperatureFor(i));
        await governor.check();
        states[i] = governor.state;
      }),
    );
    // The flight sessions downstream are what numbers frames for the pipeline and subscribers (seq assigned once).
    const numbered = new FlightSessions({ configured: 'thermal-test', startedAtMs: 1_000_000, arming: false }).tapFrames(capped);
    const kept: Frame[] = [];
    for await (const frame of numbered.frames()) kept.push(frame);

    expect(states[19]).toBe('normal');
    expect(states[20]).toBe('reduced');
    expect(states[79]).toBe('reduced');
    expect(states[80]).toBe('normal');
    const keptIndex = kept.map((f) => Number(f.name.slice(1)));
    // Reduced for frames 20..79 (6 s at 10 fps): one frame per 500 ms of capture time is kept.
    expect(keptIndex.filter((i) => i >= 20 && i < 80)).toEqual([20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75]);
    expect(keptIndex.filter((i) => i < 20 || i >= 80)).toHaveLength(40);
    expect(governor.droppedFrames).toBe(48);
    expect(capped.dropCounts?.()).toEqual({ slot: 0, thermal: 48 });
    // The wrappers keep the counters of what they wrap, so the pipeline reads every drop from the outermost source.
    expect(numbered.dropCounts?.()).toEqual({ slot: 0, thermal: 48 });
    // seq is contiguous for the pipeline and subscribers.
    expect(kept.map((f) => f.seq)).toEqual(kept.map((_, i) => i));
    expect(governor.temperatureC).toBe(65);
  });

  it('the firmware throttling engages the cap even below highC, and it is lifted only once the flag clears', async () => {
    const sysfs = fakeSysfs();
    sysfs.setC(60);
    let flags: ThrottleFlags | null = parseThrottled('throttled=0x80008');
    const governor = new ThermalGovernor({ config: ThermalConfigSchema.parse({ sysfsRoot: sysfs.root }), logger, readThrottle: async () => flags });
    await governor.check();
    expect(governor.state).toBe('reduced');
    flags = parseThrottled('throttled=0x80000');
    await governor.check();
    expect(governor.state).toBe('normal');
  });

  it('refuses lowC at or above highC with the keys to change', () => {
    expect(() => new ThermalGovernor({ config: ThermalConfigSchema.parse({ highC: 70, lowC: 70 }), logger })).toThrow(
      /^thermal\.lowC: expected a temperature below thermal\.highC \(70\), received 70/,
    );
  });
});
