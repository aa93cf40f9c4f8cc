// SqliteOutbox on a real file: durable across reopen, oldest-first order, explicit drops (full, too old) counted and logged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import { SqliteOutbox, type OutboxEntry } from '../../src/publish/sqlite-outbox.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fieldeye-outbox-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function entry(seq: number, flightId = 'f1'): OutboxEntry {
  return { topic: 'fieldeye/v1/d/result', flightId, seq, payload: JSON.stringify({ flightId, seq }) };
}

function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    logger: pino({ level: 'trace' }, stream),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('SqliteOutbox', () => {
  it('uses WAL with synchronous FULL, and what append() resolved is on disk for the next process', async () => {
    const path = join(dir, 'nested', 'outbox.sqlite');
    const outbox = SqliteOutbox.open({ path, maxMessages: 100, maxAgeS: 0 }, silentLogger);
    await Promise.all([0, 1, 2].map((seq) => outbox.append(entry(seq))));
    // A second connection, as a restarted process would open it, sees the rows before close().
    const other = new Database(path);
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((other.prepare('SELECT seq FROM outbox ORDER BY id').all() as Array<{ seq: number }>).map((r) => r.seq)).toEqual([0, 1, 2]);
    other.close();
    outbox.close();

    const reopened = SqliteOutbox.open({ path, maxMessages: 100, maxAgeS: 0 }, silentLogger);
    const rows = reopened.rowsAfter(0, 10);
    expect(rows.map((r) => [r.flightId, r.seq, r.payload])).toEqual([0, 1, 2].map((seq) => ['f1', seq, entry(seq).payload]));
    expect(reopened.stats().depth).toBe(3);
    reopened.close();
  });

  it('hands rows out oldest first and deletes one only when it is acknowledged', async () => {
    const outbox = SqliteOutbox.open({ path: join(dir, 'o.sqlite'), maxMessages: 100, maxAgeS: 0 }, silentLogger);
    await Promise.all([0, 1, 2, 3].map((seq) => outbox.append(entry(seq))));
    const [a, b] = outbox.rowsAfter(0, 2);
    expect([a?.seq, b?.seq]).toEqual([0, 1]);
    expect(outbox.rowsAfter(b?.id ?? 0, 10).map((r) => r.seq)).toEqual([2, 3]);
    outbox.ack(b?.id ?? -1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outbox.rowsAfter(0, 10).map((r) => r.seq)).toEqual([0, 2, 3]);
    expect(outbox.stats().depth).toBe(3);
    outbox.close();
  });

  it('when full, drops the oldest, counts them and logs one line saying what to change', async () => {
    const { logger, lines } = capturingLogger();
    const outbox = SqliteOutbox.open({ path: join(dir, 'o.sqlite'), maxMessages: 5, maxAgeS: 0 }, logger);
    await Promise.all(Array.from({ length: 12 }, (_, seq) => outbox.append(entry(seq))));
    expect(outbox.rowsAfter(0, 100).map((r) => r.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(outbox.stats()).toMatchObject({ depth: 5, droppedFull: 7, droppedAge: 0 });
    const drops = lines().filter((l) => String(l['msg']).startsWith('outbox: dropped the oldest results'));
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ droppedFull: 7, depth: 5, maxMessages: 5 });
    expect(String(drops[0]?.['msg'])).toContain('raise sinks.mqtt.outbox.maxMessages/maxAgeS or restore the link');
    outbox.close();
  });

  it('drops results older than maxAgeS and reports the age of the oldest', async () => {
    let now = 1_000_000;
    const outbox = SqliteOutbox.open({ path: join(dir, 'o.sqlite'), maxMessages: 100, maxAgeS: 60, now: () => now }, silentLogger);
    await outbox.append(entry(0));
    now += 30_000;
    await outbox.append(entry(1));
    expect(outbox.stats().oldestAgeMs).toBe(30_000);
    now += 45_000;
    outbox.enforceAge();
    expect(outbox.rowsAfter(0, 10).map((r) => r.seq)).toEqual([1]);
    expect(outbox.stats()).toMatchObject({ depth: 1, droppedAge: 1, oldestAgeMs: 45_000 });
    outbox.close();
  });

  it('names the path and the config key when the file cannot be opened', () => {
    // A regular file where the folder should be: mkdir fails the way a read-only or mistyped path would.
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const path = join(blocker, 'outbox.sqlite');
    expect(() => SqliteOutbox.open({ path, maxMessages: 10, maxAgeS: 0 }, silentLogger)).toThrow(
      `outbox: cannot open ${path} (EEXIST: file already exists, mkdir '${blocker}'); check that its folder is writable or set sinks.mqtt.outbox.path`,
    );
  });
});
