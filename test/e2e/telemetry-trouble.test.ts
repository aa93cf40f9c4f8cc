// End to end: `fieldeye run` (live STAND-IN camera: no camera here) geotagging from an NMEA receiver over UDP in a second
// process that sends garbled sentences, loses its fix, leaves a gap in positions and falls silent, then comes back: each
// shows in the results' position reasons and in the health documents on a real Mosquitto.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import type { Health } from '../../src/publish/health-schema.js';
import { freeLoopbackPort } from '../support/mosquitto.js';
import { startLiveRun, until, useLiveRunSetup } from '../support/live-run.js';

const setup = useLiveRunSetup('fieldeye-e2e-trouble-');

type Kind = 'fix' | 'nofix' | 'gap' | 'silent';
const PHASES: Array<{ kind: Kind; ms: number }> = [
  { kind: 'fix', ms: 3_000 },
  { kind: 'nofix', ms: 3_000 },
  { kind: 'fix', ms: 2_000 },
  { kind: 'gap', ms: 3_500 },
  { kind: 'fix', ms: 2_000 },
  { kind: 'silent', ms: 4_000 },
  { kind: 'fix', ms: 3_000 },
];

describe('fieldeye run with a troubled NMEA receiver', () => {
  it('garbled sentences, no fix, a gap, a silent link and its return: in position reasons and in health', async () => {
    const nmeaPort = await freeLoopbackPort();
    const run = await startLiveRun(setup, 'trouble-drone', [
      'flightId: trouble',
      'position:',
      '  type: nmea',
      `  nmea: { input: udp, port: ${nmeaPort}, linkTimeoutMs: 1000 }`,
      // Frames wait for the fix after them long enough to see a 3.5 s gap as a gap.
      '  track: { waitForSampleMs: 5000 }',
      '  camera: { groundElevationMslM: 584 }',
    ]);
    const { results, health } = run;
    try {
      const sender = spawn(process.execPath, [new URL('../support/nmea-udp-sender.mjs', import.meta.url).pathname, String(nmeaPort), JSON.stringify(PHASES)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const starts: number[] = [];
      let garbledSent = 0;
      for await (const line of createInterface({ input: sender.stdout })) {
        const msg = JSON.parse(line) as { event: string; atMs?: number; garbled?: number };
        if (msg.event === 'phase') starts.push(msg.atMs as number);
        if (msg.event === 'done') garbledSent = msg.garbled as number;
      }
      const endMs = starts.at(-1)! + PHASES.at(-1)!.ms;
      await until('results up to the end of the last phase', () => results().some((r) => Date.parse(r.capturedAt) > endMs - 500), 30_000);
      await until('a last health report', () => health().some((h) => Date.parse(h.at) > endMs), 10_000);
      expect(await run.stop(), run.output().slice(-3000)).toBe(0);

      /** The phase a time falls in, unless it is within `marginMs` of a phase's edges. */
      const phaseAt = (t: number, marginMs: number): Kind | null => {
        const i = starts.findIndex((s, k) => t >= s + marginMs && t < s + PHASES[k]!.ms - marginMs);
        return i < 0 ? null : PHASES[i]!.kind;
      };
      const seen: Record<string, number> = {};
      for (const r of results()) {
        const t = Date.parse(r.capturedAt);
        const kind = phaseAt(t, 600);
        if (kind === null || t > endMs) continue;
        const i = starts.findIndex((s, k) => t >= s && t < s + PHASES[k]!.ms);
        const since = t - starts[i]!;
        if (kind === 'fix') {
          expect(r.position, `${r.capturedAt}: ${r.positionReason}`).toMatchObject({ source: 'nmea', fixType: 3, satellites: 12, hdop: 0.8 });
          expect(r.footprintReason).toBeNull();
          seen['fix'] = (seen['fix'] ?? 0) + 1;
        } else if (kind === 'nofix') {
          expect(r.position).toBeNull();
          expect(r.positionReason).toMatch(/^no GPS fix: the receiver reported no fix at /);
          seen['nofix'] = (seen['nofix'] ?? 0) + 1;
        } else if (kind === 'gap' && since < 2_000) {
          // Captured within maxGapMs of the last fix: the frame waited for the next one, 3.5 s later.
          expect(r.position).toBeNull();
          expect(r.positionReason).toMatch(/^telemetry gap: no position sample between .* \(\d+ ms > maxGapMs 2500\)/);
          seen['gap'] = (seen['gap'] ?? 0) + 1;
        } else if (kind === 'silent' && since > 1_500) {
          expect(r.position).toBeNull();
          expect(r.positionReason).toMatch(/^stale: .*; nmea link down since .*\(no NMEA datagram for \d+ ms\)$/);
          seen['silent'] = (seen['silent'] ?? 0) + 1;
        }
      }
      for (const kind of ['fix', 'nofix', 'gap', 'silent']) expect(seen[kind] ?? 0, `${kind}: ${JSON.stringify(seen)}`).toBeGreaterThan(3);

      // The same in health: fix type, sample age, link state and why, garbled sentences, the link's return.
      const reports = health().filter((h) => h.position !== null && h.position !== undefined);
      const during = (kind: Kind, fromMs: number): Health[] =>
        reports.filter((h) => {
          const at = Date.parse(h.at);
          const i = starts.findIndex((s, k) => PHASES[k]!.kind === kind && at >= s + fromMs && at < s + PHASES[k]!.ms);
          return i >= 0;
        });
      const p = (h: Health) => h.position!;
      expect(during('fix', 600).length).toBeGreaterThan(3);
      for (const h of during('fix', 600)) expect(p(h)).toMatchObject({ type: 'nmea', input: 'udp', link: 'up', fixType: 3, satellites: 12, hdop: 0.8 });
      expect(during('nofix', 600).length).toBeGreaterThan(0);
      for (const h of during('nofix', 600)) expect(p(h)).toMatchObject({ link: 'up', fixType: 0 });
      expect(during('gap', 1_500).length).toBeGreaterThan(0);
      for (const h of during('gap', 1_500)) {
        expect(p(h).link).toBe('up');
        expect(p(h).lastSampleAgeMs).toBeGreaterThan(1_000);
      }
      expect(during('silent', 1_500).length).toBeGreaterThan(0);
      for (const h of during('silent', 1_500)) {
        expect(p(h).link).toBe('down');
        expect(p(h).linkDetail).toMatch(/^no NMEA datagram for \d+ ms$/);
        expect(p(h).linkLosses).toBe(0);
      }
      // Back after the silence: up again, the loss counted once; every garbled sentence sent was counted.
      const back = during('fix', 600).filter((h) => Date.parse(h.at) > starts[6]!);
      expect(back.length).toBeGreaterThan(0);
      for (const h of back) expect(p(h)).toMatchObject({ link: 'up', linkLosses: 1, fixType: 3 });
      // RMC date and time against this clock: the sender stamps sentences with it, truncated to centiseconds.
      for (const h of back) {
        expect(h.clock).toMatchObject({ reference: 'system', source: 'system', gpsTimeFrom: 'NMEA RMC/ZDA date and time' });
        expect(h.clock!.systemMinusGpsMs).toBeGreaterThanOrEqual(0);
        expect(h.clock!.systemMinusGpsMs).toBeLessThan(100);
      }
      expect(p(reports.at(-1)!).garbled).toBe(garbledSent);
      expect(garbledSent).toBeGreaterThan(50);
      console.log(`trouble: ${JSON.stringify(seen)} results judged; ${reports.length} health reports; ${garbledSent} garbled sentences sent and counted`);
    } finally {
      await run.dispose();
    }
  }, 240_000);
});
