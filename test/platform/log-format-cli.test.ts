// The CLI's output through the real path: under a pseudo-terminal (util-linux `script`) pretty lines, a progress bar and
// the replay table first; through pipes the same JSON lines as ever; --log-format / FIELDEYE_LOG_FORMAT choose.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSynthModel } from '../../src/model/synth-model.js';
import { CLI, REPO_ROOT, logLines, runCli } from '../support/run-cli.js';
import { writeTestVideo } from '../support/test-video.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldeye-log-format-'));
const flight = join(dir, 'flight');

/** One shell word, quoted for `script -c`. */
function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs the CLI with stdout and stderr on a pseudo-terminal; returns everything the terminal received, escapes included. */
function runOnTty(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args].map(sh).join(' ');
  return new Promise((done) => {
    execFile(
      'script',
      ['-qfec', command, '/dev/null'],
      { cwd: REPO_ROOT, env: { ...process.env, FIELDEYE_LOG_FORMAT: '', ...env }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, screen: stdout }),
    );
  });
}

/** The screen's lines without colours and with each bar redraw (\r, erase) reduced to what is left visible. */
function visibleLines(screen: string): string[] {
  // cli-progress goes back to the line's start with "cursor to column 1" rather than \r.
  return stripVTControlCharacters(screen.replace(new RegExp(`${ESC}\\[\\d*G`, 'g'), '\r'))
    .split('\n')
    .map(
      (line) =>
        line
          .split('\r')
          .filter((part) => part.trim() !== '')
          .pop() ?? '',
    )
    .filter((line) => line.trim() !== '');
}

const ESC = '\u001b';
const isJsonLine = (line: string) => /^\{"level":\d+,"time":\d+/.test(line.trim());

beforeAll(async () => {
  const simulated = await runCli(['simulate', '--out', flight, '--area', '60x40']);
  expect(simulated.code, simulated.stderr).toBe(0);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fieldeye on a terminal', () => {
  it('replay: a progress bar on the terminal, then the table first; no JSON lines, no clock chatter', async () => {
    const { code, screen } = await runOnTty(['replay', flight]);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/replay \[[^\]]*\] \d+\/8/);
    const lines = visibleLines(screen);
    expect(lines.filter(isJsonLine)).toEqual([]);
    expect(screen).not.toMatch(/timedatectl|system clock/);
    // Nothing but the bar (cleared when done) before the table: its first border is the first line left on screen.
    expect(lines[0]).toMatch(/^\+-+\+-+\+$/);
    expect(lines.some((l) => /^\| frames +\| 8 +\|$/.test(l))).toBe(true);
  }, 120_000);

  it('replay: log lines are pino-pretty text (coloured levels) and the clock check is at debug for a recording', async () => {
    const { code, screen } = await runOnTty(['replay', flight], { FIELDEYE__log__level: 'debug' });
    expect(code, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`${ESC}\\[\\d+mINFO${ESC}\\[39m`));
    const lines = visibleLines(screen);
    expect(lines.filter(isJsonLine)).toEqual([]);
    expect(lines.find((l) => l.includes('flight finished'))).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: flight finished$/);
    expect(lines.find((l) => l.includes('system clock check'))).toMatch(/^\[[\d:.]+\] DEBUG: system clock check \(recorded input/);
    // The last lines before exit are not lost: the summary table follows the final log line.
    expect(lines.findIndex((l) => l.includes('flight finished'))).toBeLessThan(lines.findIndex((l) => /^\| frames /.test(l)));
  }, 120_000);

  it('--log-format json on a terminal: JSON lines, before or after the command name, and no bar', async () => {
    for (const args of [
      ['--log-format', 'json', 'replay', flight],
      ['replay', flight, '--log-format', 'json'],
    ]) {
      const { code, screen } = await runOnTty(args);
      expect(code, screen).toBe(0);
      const json = visibleLines(screen).filter(isJsonLine);
      expect(json.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('flight finished');
      expect(screen).not.toMatch(/replay \[/);
    }
  }, 120_000);

  it('FIELDEYE_LOG_FORMAT=json on a terminal: simulate draws no bar and logs JSON', async () => {
    const out = join(dir, 'sim-json');
    const { code, screen } = await runOnTty(['simulate', '--out', out, '--area', '60x40'], { FIELDEYE_LOG_FORMAT: 'json', FIELDEYE_LOG_LEVEL: 'info' });
    expect(code, screen).toBe(0);
    expect(screen).not.toContain('simulating frames [');
    expect(visibleLines(screen).filter(isJsonLine).length).toBeGreaterThan(0);
  }, 120_000);

  it('train-head and quantize on a terminal: a bar over feature extraction and over calibration, then the report', async () => {
    const backbone = await ensureSynthModel(1, join(REPO_ROOT, 'models', 'generated'));
    const trained = await runOnTty(['train-head', '--backbone', backbone, '--data', flight, '--out', join(dir, 'head.onnx')]);
    expect(trained.code, trained.screen).toBe(0);
    expect(trained.screen).toMatch(/train-head: features \[[^\]]*\] \d+\/8/);
    expect(visibleLines(trained.screen)[0]).toMatch(/^trained a 5-class head/);
    const args = ['quantize', '--model', backbone, '--calibration', join(flight, 'frames'), '--out', join(dir, 'int8.onnx')];
    const quantized = await runOnTty(args);
    expect(quantized.code, quantized.screen).toBe(0);
    expect(quantized.screen).toMatch(/calibration \[[^\]]*\] \d+\/\d+/);
    expect(visibleLines(quantized.screen).filter(isJsonLine)).toEqual([]);
  }, 120_000);

  it('import images on a terminal: a bar over the photos, cleared before the summary line', async () => {
    const { code, screen } = await runOnTty(['import', 'images', join(REPO_ROOT, 'test/fixtures/real-photos'), '--out', join(dir, 'imported')]);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/import: reading photos \[[^\]]*\] \d+\/9/);
    expect(visibleLines(screen).at(-1)).toMatch(/^imported 9 frames into /);
  }, 120_000);

  it('import video on a terminal: a bar over the video seconds ffmpeg has decoded, then the summary line', async () => {
    const video = join(dir, 'clip.mp4');
    writeTestVideo(video);
    const srt = join(dir, 'clip.SRT');
    writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,000\nHOME(149.0251,-20.2532) 2017.08.05 14:11:51\nGPS(149.0250,-20.2530,16) BAROMETER:11.0\n\n');
    const { code, screen } = await runOnTty(['import', 'video', video, '--srt', srt, '--out', join(dir, 'video-tty'), '--fps', '2']);
    expect(code, screen).toBe(0);
    // The 4 s test video: the bar starts at 0 of 4 seconds and ends full (ffmpeg's -progress out_time).
    expect(screen).toMatch(/import: decoding video \(s\) \[[^\]]*\] 0\/4/);
    expect(screen).toMatch(/import: decoding video \(s\) \[[^\]]*\] 4\/4/);
    expect(visibleLines(screen).some((l) => /^imported 8 frames into /.test(l))).toBe(true);
  }, 120_000);

  it('simulate on a terminal: a progress bar, cleared when done, then its line', async () => {
    const { code, screen } = await runOnTty(['simulate', '--out', join(dir, 'sim-tty'), '--area', '60x40']);
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/simulating frames \[[^\]]*\] \d+\/8/);
    expect(visibleLines(screen).at(-1)).toMatch(/^simulated 8 frames/);
  }, 120_000);
});

describe('fieldeye through pipes (journald, scripts, tests)', () => {
  it('replay: the same JSON lines on stdout as before (level, time, pid, ids, msg), no bar, no escapes', async () => {
    const { code, stdout, stderr } = await runCli(['replay', flight]);
    expect(code, stderr).toBe(0);
    expect(stdout + stderr).not.toContain('\x1b');
    expect(stderr).not.toContain('replay [');
    const lines = logLines(stdout);
    const finished = lines.find((l) => l['msg'] === 'flight finished');
    expect(Object.keys(finished ?? {})).toEqual(['level', 'time', 'pid', 'droneId', 'flightId', 'summary', 'msg']);
    expect(finished?.['level']).toBe(30);
    // A recording's frames keep their own times: the clock check says nothing at info for a replay.
    expect(lines.some((l) => String(l['msg']).includes('system clock'))).toBe(false);
  }, 120_000);

  it('FIELDEYE_LOG_FORMAT=pretty through a pipe: pretty text without colours, and still no bar', async () => {
    const { code, stdout, stderr } = await runCli(['replay', flight], { FIELDEYE_LOG_FORMAT: 'pretty', FIELDEYE__log__level: 'debug' });
    expect(code, stderr).toBe(0);
    expect(stdout).not.toContain('\x1b');
    expect(stdout).toMatch(/^\[[\d:.]+\] INFO: flight finished$/m);
    expect(logLines(stdout)).toEqual([]);
    expect(stderr).not.toContain('replay [');
  }, 120_000);

  it('--log-format refuses a format it does not know', async () => {
    const { code, stderr } = await runCli(['--log-format', 'xml', 'replay', flight]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/--log-format.*xml.*json, pretty/s);
  });

  it('the systemd unit asks for JSON lines explicitly', () => {
    expect(readFileSync(join(REPO_ROOT, 'systemd/fieldeye.service'), 'utf8')).toMatch(/^Environment=FIELDEYE_LOG_FORMAT=json$/m);
  });
});
