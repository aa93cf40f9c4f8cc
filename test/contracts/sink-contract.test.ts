// Contract suite of the Sink port, run against every sink (JSON lines, the MQTT outbox on a real Mosquitto, the flight recorder's).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlightRecorder } from '../../src/flight/flight-recorder.js';
import { FLIGHT_FILES } from '../../src/flight/recording-format.js';
import { RecordingFrameSource } from '../../src/flight/recording-frame-source.js';
import { silentLogger } from '../../src/platform/logger.js';
import { JsonlSink } from '../../src/publish/jsonl-sink.js';
import { MqttLink } from '../../src/publish/mqtt-link.js';
import { OutboxMqttSink } from '../../src/publish/outbox-mqtt-sink.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import type { Sink } from '../../src/publish/sink.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector, type MqttCollector } from '../support/mqtt-collector.js';
import { until } from '../support/until.js';
import { sampleResult } from '../publish/sample-result.js';
import { TempDirs, readFrames, sampleRecording } from './contract-fixtures.js';

/** Frames the recorder has seen, so results 0..FRAMES-1 are results of recorded frames (it keeps no others). */
const FRAMES = 12;
const FLIGHT_ID = sampleResult(0).flightId;

interface OpenedSink {
  sink: Sink;
  /**
   * What the sink's destination holds of `seqs` now, in its own form (file lines, broker messages, the recording's
   * results.jsonl), read back independently of the sink. Waits only for what the sink says has left for the broker.
   */
  stored(seqs: readonly number[]): Promise<Result[]>;
  /** Where consumers read them once the sink is closed, when that is not `stored` (MQTT: the broker, the outbox drained). */
  delivered?(seqs: readonly number[]): Promise<Result[]>;
  dispose(): Promise<void>;
}

/** Clauses of the contract, so an entry can name the one its sink breaks today. */
type Clause = 'durable' | 'invalid' | 'after-close' | 'all-found';

interface SinkCase {
  name: string;
  open(): Promise<OpenedSink>;
  /** A clause this sink breaks today, with the defect: its test runs as it.fails, and passes again once it is fixed. */
  defects?: Partial<Record<Clause, string>>;
}

let dirs: TempDirs;
let broker: MosquittoBroker;
let opened = 0;

beforeAll(async () => {
  dirs = new TempDirs();
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.stop();
  await dirs?.removeAll();
});

/** JSON lines of a results file, each read against the exported schema as any consumer would. */
async function resultLines(path: string): Promise<Result[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Result);
}

/** The results of `seqs`, once each (QoS 1 may deliver twice, and a row can be in the outbox and at the broker at once), by seq. */
function only(results: readonly Result[], seqs: readonly number[]): Result[] {
  const bySeq = new Map(results.filter((r) => seqs.includes(r.seq)).map((r) => [r.seq, r]));
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

const CASES: SinkCase[] = [
  {
    name: 'JsonlSink',
    open: async () => {
      const path = join(await dirs.make(), 'results.jsonl');
      const sink = await JsonlSink.open({ path }, silentLogger);
      return { sink, stored: async (seqs) => only(await resultLines(path), seqs), dispose: () => sink.close() };
    },
  },
  {
    name: 'OutboxMqttSink (SQLite outbox, MqttLink to a real Mosquitto)',
    open: async () => {
      const prefix = `fieldeye/v1/contract-sink-${process.pid}-${++opened}/`;
      const collector: MqttCollector = await startCollector(broker.url, `${prefix}result`);
      const link = await MqttLink.connect(
        {
          url: broker.url,
          protocolVersion: 5,
          clientId: `contract-sink-${process.pid}-${opened}`,
          topicPrefix: prefix,
          connectTimeoutMs: 5_000,
          keepaliveS: 10,
        },
        silentLogger,
      );
      const outboxPath = join(await dirs.make(), 'outbox.sqlite');
      const sink = OutboxMqttSink.open(
        link,
        { outbox: { path: outboxPath, maxMessages: 1_000, maxAgeS: 0, inflightWindow: 4, drainTimeoutMs: 10_000 } },
        silentLogger,
      );
      const atBroker = (): Result[] => collector.messages.map((m) => ResultSchema.parse(JSON.parse(m.text)));
      // Every result the sink counts as acknowledged (PUBACK) must reach our subscriber; wait for that many, no more.
      const brokerHolds = async (): Promise<Result[]> => {
        const acknowledged = sink.stats().delivered;
        await until(`${acknowledged} acknowledged result(s) at the subscriber`, () => new Set(atBroker().map((r) => r.seq)).size >= acknowledged, 10_000);
        return atBroker();
      };
      return {
        sink,
        stored: async (seqs) => {
          // Durable means in the outbox file until the broker acknowledged it (a row leaves only on PUBACK), then at the
          // broker. The file is read first, with a connection of our own as a restart would, so a row acknowledged
          // meanwhile is counted by the broker side.
          const db = new Database(outboxPath, { readonly: true, fileMustExist: true });
          let queued: Result[];
          try {
            queued = (db.prepare('SELECT payload FROM outbox').all() as Array<{ payload: string }>).map((row) => JSON.parse(row.payload) as Result);
          } finally {
            db.close();
          }
          return only([...queued, ...(await brokerHolds())], seqs);
        },
        delivered: async (seqs) => only(await brokerHolds(), seqs),
        dispose: async () => {
          await sink.close();
          await collector.close();
        },
      };
    },
  },
  {
    name: "FlightRecorder's sink (results of recorded frames into results.jsonl)",
    open: async () => {
      const recorder = await FlightRecorder.open(
        join(await dirs.make(), 'flight'),
        {
          droneId: 'contract-drone',
          flightId: FLIGHT_ID,
          startedAt: new Date().toISOString(),
          origin: 'run',
          camera: { description: 'camera-module-3', hfovDeg: 66, vfovDeg: 41, mountPitchDeg: -90 },
          model: null,
          configSha256: null,
        },
        { everyNth: 1, maxBytes: null, positionSource: 'exif' },
        silentLogger,
      );
      // As in a flight: the frames pass the recorder's tap first, and it keeps the results of the frames it recorded.
      await readFrames(recorder.tapFrames(new RecordingFrameSource(await recording(), { speed: 'max', maxFrames: FRAMES })));
      const path = join(recorder.writer.dir, FLIGHT_FILES.results);
      return { sink: recorder.sink, stored: async (seqs) => only(await resultLines(path), seqs), dispose: async () => void (await recorder.close('stopped')) };
    },
  },
];

let recorded: Promise<Awaited<ReturnType<typeof sampleRecording>>> | undefined;
/** The sample flight as a recording, made once: the recorder's tap needs frames to record. */
function recording(): ReturnType<typeof sampleRecording> {
  recorded ??= sampleRecording(dirs);
  return recorded;
}

/** The clause's test, or its it.fails twin when the entry names a defect (the title says which). */
function clause(c: SinkCase, which: Clause, title: string, body: () => Promise<void>): void {
  const defect = c.defects?.[which];
  if (defect) it.fails(`${title} [fails today: ${defect}]`, body);
  else it(title, body);
}

/** A result the schema refuses (no top class, a score above 1): what a broken stage could hand a sink. */
function invalidResult(seq: number): Result {
  return sampleResult(seq, { top: [{ index: 0, label: 'crop', score: 1.5 }] });
}

/** Runs `body` on a freshly opened sink and disposes of it whatever happens. */
async function withSink(c: SinkCase, body: (o: OpenedSink) => Promise<void>): Promise<void> {
  const o = await c.open();
  try {
    await body(o);
  } finally {
    await o.dispose();
  }
}

describe.each(CASES)('Sink contract: $name', (c) => {
  clause(c, 'durable', 'write() of a valid result resolves once the result is where the sink keeps it', async () => {
    await withSink(c, async (o) => {
      for (const seq of [0, 1, 2]) {
        await expect(o.sink.write(sampleResult(seq))).resolves.toBeUndefined();
        // Read back before the next write and before close: "resolved" has to mean "stored".
        expect(await o.stored([seq]), `seq ${seq} right after write() resolved`).toContainEqual(sampleResult(seq));
      }
    });
  });

  clause(c, 'invalid', 'write() of an invalid result rejects, naming its seq, and stores nothing of it', async () => {
    await withSink(c, async (o) => {
      await expect(o.sink.write(invalidResult(7))).rejects.toThrow(/\bseq 7\b/);
      await o.sink.write(sampleResult(8));
      // Whatever the sink does with the refused one, it must not be where consumers read results.
      expect(await o.stored([7, 8])).toEqual([sampleResult(8)]);
    });
  });

  clause(c, 'after-close', 'close() is idempotent; write() after close rejects with a clear message', async () => {
    await withSink(c, async (o) => {
      await o.sink.write(sampleResult(4));
      await Promise.all([o.sink.close(), o.sink.close()]);
      await expect(o.sink.close()).resolves.toBeUndefined();
      await expect(o.sink.write(sampleResult(5))).rejects.toThrow(/after close.*seq 5|seq 5.*after close/);
      expect(await o.stored([4, 5])).toEqual([sampleResult(4)]);
    });
  });

  clause(c, 'all-found', 'every result written (awaited or not) is found once closed, whole', async () => {
    await withSink(c, async (o) => {
      const seqs = Array.from({ length: FRAMES }, (_, i) => i);
      // The pipeline does not await one write before the next frame's: every write is in flight at once.
      await Promise.all(seqs.map((seq) => o.sink.write(sampleResult(seq))));
      await o.sink.close();
      // Each at least once (QoS 1 may deliver twice; subscribers dedupe on flightId and seq), and whole.
      expect(await (o.delivered ?? o.stored)(seqs)).toEqual(seqs.map((seq) => sampleResult(seq)));
    });
  });
});
