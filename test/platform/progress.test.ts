// The progress bar's contract with log lines: shown only on a terminal with pretty logs, and a line written while it
// runs lands above it (bar cleared, line, bar drawn again) instead of being glued to it.
import { afterEach, describe, expect, it } from 'vitest';
import { progressWanted, startProgress, stopProgress, writeAboveProgress } from '../../src/platform/progress.js';

const ESC = '\u001b';
const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
const realWrite = process.stderr.write.bind(process.stderr);
const wasTty = stderr.isTTY;
const format = process.env['FIELDEYE_LOG_FORMAT'];

/** Pretends stderr is a terminal and keeps what is written to it. */
function fakeTerminal(): string[] {
  const written: string[] = [];
  stderr.isTTY = true;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return written;
}

afterEach(() => {
  stopProgress();
  process.stderr.write = realWrite;
  stderr.isTTY = wasTty;
  if (format === undefined) delete process.env['FIELDEYE_LOG_FORMAT'];
  else process.env['FIELDEYE_LOG_FORMAT'] = format;
});

describe('progress bar', () => {
  it('is drawn on a terminal, and a log line written meanwhile goes above it', () => {
    const written = fakeTerminal();
    delete process.env['FIELDEYE_LOG_FORMAT'];
    const bar = startProgress('work', 4);
    expect(bar.visible).toBe(true);
    bar.tick();
    const before = written.length;
    writeAboveProgress(process.stderr, 'a log line\n');
    const after = written.slice(before).join('');
    expect(after).toMatch(new RegExp(`^\\r${ESC}\\[2Ka log line\\n.*work \\[[^\\]]*\\] 1/4`, 's'));
    bar.done();
    expect(startProgress('next', 2).visible).toBe(true);
  });

  it('draws nothing in JSON mode, off a terminal, or inside another bar', () => {
    const written = fakeTerminal();
    process.env['FIELDEYE_LOG_FORMAT'] = 'json';
    expect(progressWanted()).toBe(false);
    expect(startProgress('json', 3).visible).toBe(false);
    delete process.env['FIELDEYE_LOG_FORMAT'];
    const outer = startProgress('outer', 3);
    expect(startProgress('inner', 3).visible).toBe(false);
    outer.done();
    stderr.isTTY = false;
    expect(startProgress('pipe', 3).visible).toBe(false);
    written.length = 0;
    writeAboveProgress(process.stderr, 'plain\n');
    expect(written).toEqual(['plain\n']);
  });
});
