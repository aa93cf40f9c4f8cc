// End to end: `fieldeye run` with a live camera (STAND-IN rpicam-vid: no camera here) and MAVLink over UDP from a second
// process that arms, disarms, re-arms and disarms: each arming starts a flight with its own id and seq, the retained flight
// topic on a real Mosquitto follows with endedAt on disarming, each flight is recorded into its own folder, results carry
// their clock (GPS time from SYSTEM_TIME), and health carries the telemetry state with the packets lost on the way.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlightManifestSchema } from '../../src/flight/recording-format.js';
import { FlightSchema, type Flight } from '../../src/publish/flight-schema.js';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { startFlightSender } from '../support/mavlink-flight.js';
import { freeLoopbackPort } from '../support/mosquitto.js';
import { startLiveRun, until, useLiveRunSetup } from '../support/live-run.js';
import { startCollector } from '../support/mqtt-collector.js';

const setup = useLiveRunSetup('fieldeye-e2e-sessions-');

/** A frame this close to an arming change may fall either side (HEARTBEAT delivery, sensor-time mapping): not judged. */
const BOUNDARY_MARGIN_MS = 300;

describe('fieldeye run with MAVLink arming', () => {
  it('arm, disarm, re-arm, disarm: flight ids, per-flight seq, retained flight documents, recordings, clock and health follow', async () => {
    const mavlinkPort = await freeLoopbackPort();
    const recordDir = join(setup.work(), 'recordings');
    const run = await startLiveRun(setup, 'sess-drone', [
      'flightId: survey',
      `position: { type: mavlink, mavlink: { input: udp, port: ${mavlinkPort} } }`,
      'clock: { reference: gps }',
      `record: { enabled: true, dir: ${recordDir} }`,
    ]);
    const { collector } = run;
    try {
      const sender = startFlightSender(`udp:${mavlinkPort}`, {
        phases: [
          { armed: false, ms: 3_000 },
          { armed: true, ms: 4_000 },
          { armed: false, ms: 3_000 },
          { armed: true, ms: 4_000 },
          { armed: false, ms: 3_000 },
        ],
        gpsAheadMs: 5_000,
        dropEvery: 11,
      });
      const report = await sender.done;
      // The vehicle is silent now: health reports the link down (linkTimeoutMs 3000); then a graceful stop (SIGTERM, as systemd does).
      await until(
        'a health report with the MAVLink link down',
        () => run.health().some((h) => h.position?.link === 'down' && Date.parse(h.at) > report.phases[0]!.atMs),
        20_000,
      );
      expect(await run.stop(), run.output().slice(-3000)).toBe(0);
      await until(
        'the final flight document',
        () =>
          collector.messages
            .filter((m) => m.topic.endsWith('/flight'))
            .some((m) => (JSON.parse(m.text) as Flight).flightId === 'survey-2-landed' && (JSON.parse(m.text) as Flight).endedAt != null),
        15_000,
      );
      const all = run.results();

      // Flights in order, each with its own seq from 0, contiguous (one result per delivered frame).
      const ids = ['survey', 'survey-1', 'survey-1-landed', 'survey-2', 'survey-2-landed'];
      expect([...new Set(all.map((r) => r.flightId))]).toEqual(ids);
      for (const id of ids) {
        const seqs = [...new Set(all.filter((r) => r.flightId === id).map((r) => r.seq))].sort((a, b) => a - b);
        expect(seqs.length, id).toBeGreaterThan(3);
        expect(seqs, id).toEqual(seqs.map((_, i) => i));
      }

      // Each frame is in the flight its capture time falls in, judged by when the sender sent each phase's first HEARTBEAT.
      const starts = report.phases.map((p) => p.atMs);
      const expectedId = (systemMs: number): string | null => {
        const boundaries = [starts[1]!, starts[2]!, starts[3]!, starts[4]!];
        if (boundaries.some((b) => Math.abs(systemMs - b) < BOUNDARY_MARGIN_MS)) return null;
        return ids[boundaries.filter((b) => systemMs >= b).length]!;
      };
      let judged = 0;
      for (const r of all) {
        const clock = r.clock!;
        // capturedAt is on GPS time once SYSTEM_TIME was heard: back onto this machine's clock to compare.
        const systemMs = Date.parse(r.capturedAt) + (clock.source === 'gps' ? (clock.systemMinusGpsMs as number) : 0);
        const want = expectedId(systemMs);
        if (want === null) continue;
        judged++;
        expect(r.flightId, `${r.capturedAt} (${clock.source})`).toBe(want);
        if (systemMs < starts[0]! - BOUNDARY_MARGIN_MS) {
          // Before the vehicle was heard: no position, and why.
          expect(r.positionReason).toMatch(/^no position samples received yet; mavlink link down/);
          expect(clock.source).toBe('system');
        } else if (systemMs > starts[0]! + 1_500 && systemMs < starts[4]! + 2_500) {
          expect(r.position, r.positionReason ?? '').not.toBeNull();
          expect(r.position).toMatchObject({ source: 'mavlink', fixType: 3, satellites: 15, hdop: 0.7, altAglM: 100 });
          expect(clock.source).toBe('gps');
          expect(clock.systemMinusGpsMs).toBeGreaterThanOrEqual(-5_002);
          expect(clock.systemMinusGpsMs).toBeLessThan(-4_900);
        }
      }
      expect(judged).toBeGreaterThan(all.length * 0.6);

      // The retained flight topic followed: each flight opened, then closed with endedAt when the next began or the run ended.
      const docs = collector.messages.filter((m) => m.topic.endsWith('/flight')).map((m) => FlightSchema.parse(JSON.parse(m.text)));
      expect(docs.map((d) => [d.flightId, d.kind, d.endedAt === null ? 'open' : 'closed'])).toEqual(
        ids.flatMap((id) => {
          const kind = id === 'survey-1' || id === 'survey-2' ? 'armed' : 'ground';
          return [
            [id, kind, 'open'],
            [id, kind, 'closed'],
          ];
        }),
      );
      for (const [i, id] of ['survey-1', 'survey-1-landed', 'survey-2', 'survey-2-landed'].entries()) {
        const opened = docs.find((d) => d.flightId === id)!;
        const closedBefore = docs.find((d) => d.flightId === ids[i] && d.endedAt !== null)!;
        expect(opened.startedAt).toBe(closedBefore.endedAt);
        // It started when the HEARTBEAT showing the change arrived, right after the sender sent it.
        expect(Math.abs(Date.parse(opened.startedAt) - starts[i + 1]!)).toBeLessThan(BOUNDARY_MARGIN_MS);
      }
      // A ground station connecting now learns the last flight, closed.
      const late = await startCollector(setup.broker().url, 'fieldeye/v1/sess-drone/flight');
      const retained = await late.waitFor(1, 5_000);
      await late.close();
      expect(FlightSchema.parse(JSON.parse(retained[0]!.text))).toMatchObject({ flightId: 'survey-2-landed', kind: 'ground' });
      expect(FlightSchema.parse(JSON.parse(retained[0]!.text)).endedAt).not.toBeNull();

      // Health: the telemetry state, the lost packets (exactly those the sender dropped), the clock, the current flight.
      const health = run.health();
      const flying = health.filter((h) => Date.parse(h.at) > starts[0]! + 1_500 && Date.parse(h.at) < starts[4]! + 2_500);
      expect(flying.length).toBeGreaterThan(5);
      for (const h of flying) {
        expect(h.position).toMatchObject({ type: 'mavlink', input: 'udp', link: 'up', fixType: 3, satellites: 15, hdop: 0.7 });
        expect(h.position!.samplesPerS).toBeGreaterThan(5);
        expect(h.position!.lastSampleAgeMs).toBeLessThan(1_000);
        expect(h.clock).toMatchObject({ reference: 'gps', source: 'gps', gpsTimeFrom: 'MAVLink SYSTEM_TIME' });
      }
      expect(new Set(health.map((h) => h.flightId))).toContain('survey-1');
      const last = health.at(-1)!;
      expect(last.flightId).toBe('survey-2-landed');
      expect(report.dropped).toBeGreaterThan(10);
      expect(last.position!.droppedPackets).toBe(report.dropped);
      // The sender has been silent since before the stop: the link is down, and says why.
      expect(last.position).toMatchObject({ link: 'down' });
      expect(last.position!.linkDetail).toMatch(/no MAVLink packet from vehicle 1\/1 for \d+ ms/);

      // Each flight was recorded into its own folder, with its own frames and results.
      expect(readdirSync(recordDir).sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const manifest = FlightManifestSchema.parse(JSON.parse(readFileSync(join(recordDir, id, 'flight.json'), 'utf8')));
        expect(manifest.flightId).toBe(id);
        expect(manifest.end?.reason, id).toBe(id === 'survey-2-landed' ? 'stopped' : 'next-flight');
        const recorded = readFileSync(join(recordDir, id, 'results.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => ResultSchema.parse(JSON.parse(l)));
        expect(recorded.every((r) => r.flightId === id)).toBe(true);
        expect(recorded.length).toBe(new Set(all.filter((r) => r.flightId === id).map((r) => r.seq)).size);
        // The stop comes while the next frame is already taken from the camera: it is recorded, but gets no result.
        if (id === 'survey-2-landed') expect(manifest.end!.frames - recorded.length, id).toBeLessThanOrEqual(1);
        else expect(manifest.end?.frames, id).toBe(recorded.length);
      }
      console.log(
        `sessions: ${ids.map((id) => `${id} ${all.filter((r) => r.flightId === id).length}`).join(', ')}; judged ${judged}/${all.length}; ` +
          `${docs.length} flight documents; ${health.length} health reports; ${report.dropped} packets dropped and counted`,
      );
    } finally {
      await run.dispose();
    }
  }, 240_000);
});
