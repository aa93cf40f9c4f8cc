// JsonlSink writes one schema-valid JSON line per result, appends across runs, and names the path when it cannot write.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/platform/logger.js';
import { JsonlSink } from '../../src/publish/jsonl-sink.js';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { sampleResult } from './sample-result.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fieldeye-jsonl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('JsonlSink', () => {
  it('creates parent directories and writes one valid JSON line per result, in call order', async () => {
    const path = join(dir, 'deep', 'er', 'results.jsonl');
    const sink = await JsonlSink.open({ path }, silentLogger);
    expect(sink.name).toBe('jsonl');
    // Not awaited one by one: order must still be kept.
    await Promise.all([0, 1, 2, 3, 4].map((seq) => sink.write(sampleResult(seq))));
    await sink.close();

    const lines = await readLines(path);
    expect(lines).toHaveLength(5);
    const parsed = lines.map((line) => ResultSchema.parse(JSON.parse(line)));
    expect(parsed.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(parsed[2]).toEqual(sampleResult(2));
  });

  it('appends to an existing file instead of truncating it', async () => {
    const path = join(dir, 'results.jsonl');
    await writeFile(path, `${JSON.stringify(sampleResult(0))}\n`);
    const sink = await JsonlSink.open({ path }, silentLogger);
    await sink.write(sampleResult(1));
    await sink.close();
    const again = await JsonlSink.open({ path }, silentLogger);
    await again.write(sampleResult(2));
    await again.close();

    const lines = await readLines(path);
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([0, 1, 2]);
  });

  it('close is idempotent and a write after close is refused', async () => {
    const sink = await JsonlSink.open({ path: join(dir, 'r.jsonl') }, silentLogger);
    await Promise.all([sink.close(), sink.close()]);
    await expect(sink.write(sampleResult(7))).rejects.toThrow(/jsonl: write to .*r\.jsonl after close \(seq 7\)/);
  });

  it('names the path when the file cannot be opened', async () => {
    // A directory where the file should be: open(…, 'a') fails with EISDIR.
    const path = join(dir, 'is-a-dir');
    await mkdir(path);
    await expect(JsonlSink.open({ path }, silentLogger)).rejects.toThrow(
      `jsonl: cannot open ${path} for appending (EISDIR: illegal operation on a directory, open '${path}'); check that the directory is writable or set sinks.jsonl.path`,
    );
  });

  it('names the path and the seq when a write fails, and keeps going for later lines', async () => {
    // /dev/full accepts open() but every write fails with ENOSPC, like a full SD card.
    const sink = await JsonlSink.open({ path: '/dev/full' }, silentLogger);
    const first = sink.write(sampleResult(11));
    const second = sink.write(sampleResult(12));
    await expect(first).rejects.toThrow(/^jsonl: cannot write result seq 11 to \/dev\/full \(ENOSPC: .*\); check free space and permissions$/);
    await expect(second).rejects.toThrow(/seq 12 to \/dev\/full \(ENOSPC/);
    await sink.close();
  });
});
