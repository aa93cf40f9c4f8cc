// Live frames from the Raspberry Pi camera: runs rpicam-vid, cuts its stdout into frames with sensor capture times, keeps only the newest, restarts it when it dies or hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RpicamSourceConfig } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import type { Frame, FrameSource, RawFrameFormat } from './frame-source.js';
import type { FrameSplitter, SplitDropReason } from './frame-splitter.js';
import { I420Splitter } from './i420-splitter.js';
import { MjpegSplitter } from './mjpeg-splitter.js';
import { LatestFrameSlot } from './latest-frame-slot.js';
import { PtsClock, monoToWallMs, parsePtsLine } from './pts-clock.js';
import { findRpicamVid, isCameraMissingLine, rpicamI420Layout, rpicamVidArgs, writesMetadata } from './rpicam-command.js';
import { RpicamFifos } from './rpicam-fifos.js';
import { RunExposures } from './rpicam-metadata.js';

/** Why a captured frame never reached the pipeline. */
export type RpicamDropReason = 'classifier-busy' | Exclude<SplitDropReason, 'garbage'>;

export type RpicamState = 'starting' | 'streaming' | 'restarting' | 'camera-missing' | 'closed';

export interface RpicamHealth {
  state: RpicamState;
  /** False while rpicam-vid reports no camera (cable, power, camera index): the health flag operators watch. */
  cameraPresent: boolean;
  restarts: number;
  drops: Readonly<Record<RpicamDropReason, number>>;
  /** How the last run ended, for logs and the health report. */
  lastExit: string | null;
}

export interface RpicamFrameSourceOptions {
  config: RpicamSourceConfig;
  logger: Logger;
  /** Stop after delivering this many frames. */
  maxFrames?: number;
  /** Each frame lost, with its reason, as it happens (the pipeline metrics count them). */
  onDrop?: (reason: RpicamDropReason) => void;
  /** Environment of the child and of the PATH search (tests put a stand-in rpicam-vid first on PATH). */
  env?: NodeJS.ProcessEnv;
}

/** A frame before the pipeline numbers it: seq is given at delivery, so delivered frames stay contiguous. */
type Captured = Omit<Frame, 'seq'>;

/** How long a frame waits for its timestamp line before it goes out with its arrival time instead. */
const PTS_WAIT_MS = 500;
/** After SIGINT (rpicam-vid's clean stop), how long before SIGKILL. */
const KILL_GRACE_MS = 2_000;
const STDERR_TAIL_LINES = 8;

/** One rpicam-vid process and the state of its streams. */
interface Run {
  n: number;
  child: ChildProcess;
  splitter: FrameSplitter;
  clock: PtsClock;
  frames: Map<number, { bytes: Buffer; arrivalMonoMs: number }>;
  pts: Map<number, number>;
  exposures: RunExposures;
  framesSeen: number;
  ptsSeen: number;
  nextToDeliver: number;
  delivered: number;
  lastFrameMonoMs: number;
  startedMonoMs: number;
  stderrTail: string[];
  cameraMissing: boolean;
  exited: Promise<void>;
  /** Set when we stopped it (close or stall), so its exit is not reported as a crash. */
  stopReason: string | null;
}

export class RpicamFrameSource implements FrameSource {
  readonly command: string;
  private readonly args: string[];
  private readonly raw: RawFrameFormat | undefined;
  private readonly slot: LatestFrameSlot<Captured>;
  private readonly drops: Record<RpicamDropReason, number> = { 'classifier-busy': 0, corrupt: 0, truncated: 0, oversize: 0 };
  private state: RpicamState = 'starting';
  private run: Run | null = null;
  private runs = 0;
  private restarts = 0;
  private failuresInARow = 0;
  private lastExit: string | null = null;
  private closed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private firstFrame: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private readonly fifos: RpicamFifos;

  private constructor(private readonly options: RpicamFrameSourceOptions) {
    const { config } = options;
    this.command = findRpicamVid(config.command, options.env ?? process.env);
    // The frames' own exposure is read when the shutter is automatic and the program can report it.
    this.fifos = new RpicamFifos(config.shutterUs <= 0 && writesMetadata(this.command));
    this.args = rpicamVidArgs(config, this.fifos.ptsPath, this.fifos.metadataPath);
    this.raw = config.codec === 'yuv420' ? { format: 'i420', ...rpicamI420Layout(config) } : undefined;
    this.slot = new LatestFrameSlot<Captured>(() => this.drop('classifier-busy'));
    this.watchdog = setInterval(() => this.checkStall(), Math.max(25, Math.min(config.stallTimeoutMs, config.startTimeoutMs) / 4));
    this.watchdog.unref();
  }

  /**
   * Starts rpicam-vid and waits for its first frame, so a camera that is missing, busy or misconfigured
   * is a clear error at start (with rpicam-vid's own words) rather than a silent restart loop.
   */
  static async open(options: RpicamFrameSourceOptions): Promise<RpicamFrameSource> {
    const source = new RpicamFrameSource(options);
    options.logger.info({ command: source.command, args: source.args }, 'starting the camera');
    const first = new Promise<void>((resolve, reject) => {
      source.firstFrame = { resolve, reject };
    });
    source.startRun();
    try {
      await first;
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  dropCounts(): Readonly<Record<RpicamDropReason, number>> {
    return { ...this.drops };
  }

  health(): RpicamHealth {
    return {
      state: this.state,
      cameraPresent: this.state !== 'camera-missing',
      restarts: this.restarts,
      drops: { ...this.drops },
      lastExit: this.lastExit,
    };
  }

  async *frames(): AsyncIterable<Frame> {
    const max = this.options.maxFrames ?? Infinity;
    for (let seq = 0; seq < max; seq++) {
      const frame = await this.slot.take();
      if (frame === null) return;
      yield { ...frame, seq };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state = 'closed';
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    this.slot.close();
    if (this.run) await this.stopRun(this.run, 'closing');
    this.fifos.remove();
  }

  private drop(reason: RpicamDropReason): void {
    this.drops[reason]++;
    this.options.onDrop?.(reason);
  }

  private startRun(): void {
    const { config, logger } = this.options;
    const n = ++this.runs;
    const ptsStream = RpicamFifos.open(this.fifos.ptsPath);
    const metadataStream = this.fifos.metadataPath === null ? null : RpicamFifos.open(this.fifos.metadataPath);
    const child = spawn(this.command, this.args, {
      // stdin closed, stdout = frames, stderr = log lines; timestamps and metadata go to the FIFOs.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.options.env ?? process.env,
    });
    const now = performance.now();
    const run: Run = {
      n,
      child,
      splitter: this.raw ? new I420Splitter(this.raw) : new MjpegSplitter(),
      clock: new PtsClock(),
      frames: new Map(),
      pts: new Map(),
      exposures: new RunExposures(),
      framesSeen: 0,
      ptsSeen: 0,
      nextToDeliver: 0,
      delivered: 0,
      lastFrameMonoMs: now,
      startedMonoMs: now,
      stderrTail: [],
      cameraMissing: false,
      stopReason: null,
      exited: new Promise((resolve) => child.once('close', () => resolve())),
    };
    this.run = run;
    const log = logger.child({ run: n, pid: child.pid });

    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(run, chunk));
    eachLine(child.stderr, (line) => {
      run.stderrTail.push(line);
      if (run.stderrTail.length > STDERR_TAIL_LINES) run.stderrTail.shift();
      if (isCameraMissingLine(line)) run.cameraMissing = true;
      // rpicam-vid reports its errors as "ERROR: *** ... ***"; everything else is progress chatter.
      if (/error/i.test(line)) log.warn({ rpicam: line }, 'rpicam-vid');
      else log.debug({ rpicam: line }, 'rpicam-vid');
    });
    eachLine(ptsStream, (line) => {
      const pts = parsePtsLine(line);
      if (pts === null) return;
      run.pts.set(run.ptsSeen++, pts);
      this.deliverReady(run, false);
    });
    metadataStream?.setEncoding('utf8').on('data', (text: string) => run.exposures.push(text));
    child.once('error', (err: NodeJS.ErrnoException) => {
      run.stderrTail.push(`cannot start ${this.command}: ${err.code ?? err.message}`);
    });
    child.once('close', (code, signal) => this.onExit(run, code, signal));
    const timer = setInterval(() => this.deliverReady(run, true), PTS_WAIT_MS / 2);
    timer.unref();
    void run.exited.then(() => {
      clearInterval(timer);
      // Lines still in the FIFO belong to frames of this run: give them a moment, then let go of it.
      setTimeout(() => [ptsStream, metadataStream].forEach((s) => s?.destroy()), PTS_WAIT_MS).unref();
    });
    log.debug({ codec: config.codec, raw: this.raw ?? null }, 'rpicam-vid started');
  }

  private onStdout(run: Run, chunk: Buffer): void {
    const before = { ...run.splitter.drops };
    const frames = run.splitter.push(chunk);
    this.forwardSplitterDrops(before, run.splitter);
    if (frames.length === 0) return;
    const now = performance.now();
    run.lastFrameMonoMs = now;
    for (const bytes of frames) run.frames.set(run.framesSeen++, { bytes, arrivalMonoMs: now });
    this.deliverReady(run, false);
  }

  private forwardSplitterDrops(before: Readonly<Record<SplitDropReason, number>>, splitter: FrameSplitter): void {
    for (const reason of ['corrupt', 'truncated', 'oversize'] as const) {
      for (let i = before[reason]; i < splitter.drops[reason]; i++) this.drop(reason);
    }
  }

  /** Frames go out in order, each with its timestamp line; one that waited too long goes with its arrival time. */
  private deliverReady(run: Run, timedOut: boolean): void {
    const now = performance.now();
    for (;;) {
      const k = run.nextToDeliver;
      const frame = run.frames.get(k);
      if (!frame) return;
      const pts = run.pts.get(k);
      let captureMonoMs: number;
      let timeSource: Frame['timeSource'];
      if (pts !== undefined) {
        captureMonoMs = run.clock.captureMonoMs(pts, frame.arrivalMonoMs);
        timeSource = 'sensor';
      } else if (timedOut && now - frame.arrivalMonoMs >= PTS_WAIT_MS) {
        captureMonoMs = frame.arrivalMonoMs;
        timeSource = 'arrival';
      } else {
        return;
      }
      run.frames.delete(k);
      run.pts.delete(k);
      const exposureUs = this.options.config.shutterUs > 0 ? this.options.config.shutterUs : run.exposures.take(k);
      run.nextToDeliver++;
      run.delivered++;
      this.onFrame(run);
      this.slot.put({
        capturedAtMs: monoToWallMs(captureMonoMs),
        timeSource,
        bytes: frame.bytes,
        name: `rpicam-${run.n}-${k}`,
        ...(this.raw ? { raw: this.raw } : {}),
        // A fixed --shutter is every frame's exposure; with automatic exposure, the one rpicam-vid reported.
        ...(exposureUs !== undefined ? { exposureUs } : {}),
      });
    }
  }

  private onFrame(run: Run): void {
    if (this.state !== 'streaming' && !this.closed) {
      if (this.state !== 'starting') this.options.logger.info({ run: run.n, restarts: this.restarts }, 'camera streaming again');
      this.state = 'streaming';
    }
    this.failuresInARow = 0;
    const first = this.firstFrame;
    this.firstFrame = null;
    first?.resolve();
  }

  private checkStall(): void {
    const run = this.run;
    if (!run || run.stopReason !== null || this.closed) return;
    const now = performance.now();
    const { startTimeoutMs, stallTimeoutMs } = this.options.config;
    const limit = run.framesSeen === 0 ? startTimeoutMs : stallTimeoutMs;
    const since = run.framesSeen === 0 ? run.startedMonoMs : run.lastFrameMonoMs;
    if (now - since <= limit) return;
    const what = run.framesSeen === 0 ? `no first frame within ${startTimeoutMs} ms` : `no frame for ${Math.round(now - since)} ms`;
    this.options.logger.warn({ run: run.n }, `rpicam-vid is stalled (${what}): restarting it`);
    void this.stopRun(run, `stalled: ${what}`);
  }

  private async stopRun(run: Run, reason: string): Promise<void> {
    run.stopReason ??= reason;
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGINT');
      const kill = setTimeout(() => run.child.kill('SIGKILL'), KILL_GRACE_MS);
      await run.exited;
      clearTimeout(kill);
    }
    await run.exited;
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    const before = { ...run.splitter.drops };
    run.splitter.end();
    this.forwardSplitterDrops(before, run.splitter);
    const how = code !== null ? `exit code ${code}` : `signal ${signal ?? '?'}`;
    const tail = run.stderrTail.join(' | ');
    this.lastExit = `${run.stopReason ?? how}${tail ? `; stderr: ${tail}` : ''}`;
    if (this.run === run) this.run = null;
    if (this.closed) return;

    if (this.firstFrame && run.delivered === 0 && run.stopReason === null) {
      // Failing at start: report it with rpicam-vid's own words instead of retrying blindly.
      const first = this.firstFrame;
      this.firstFrame = null;
      first.reject(new Error(this.startFailure(run, how)));
      return;
    }
    if (this.firstFrame && run.stopReason !== null && run.framesSeen === 0) {
      const first = this.firstFrame;
      this.firstFrame = null;
      first.reject(
        new Error(
          `source rpicam: ${this.command} gave no frame within source.startTimeoutMs (${this.options.config.startTimeoutMs} ms)${tail ? `; its last words: ${tail}` : ''}; check the camera and source settings`,
        ),
      );
      return;
    }

    const { restartMinMs, restartMaxMs } = this.options.config;
    this.failuresInARow++;
    let delayMs: number;
    if (run.cameraMissing) {
      // The camera is gone (cable, power): keep trying, slowly, and say so in the health flag.
      if (this.state !== 'camera-missing')
        this.options.logger.error({ run: run.n, exit: this.lastExit }, 'camera missing: rpicam-vid finds no camera; retrying');
      this.state = 'camera-missing';
      delayMs = restartMaxMs;
    } else {
      this.state = 'restarting';
      delayMs = Math.min(restartMaxMs, restartMinMs * 2 ** (this.failuresInARow - 1));
      this.options.logger.warn({ run: run.n, exit: this.lastExit, restartInMs: delayMs }, 'rpicam-vid ended: restarting it');
    }
    this.restartTimer = setTimeout(() => {
      if (this.closed) return;
      this.restarts++;
      this.startRun();
    }, delayMs);
  }

  private startFailure(run: Run, how: string): string {
    const { config } = this.options;
    const said = run.stderrTail.length > 0 ? `: "${run.stderrTail.join(' | ')}"` : '';
    if (run.cameraMissing) {
      return (
        `source rpicam: no camera found by ${this.command}${said}; check the camera cable and power, ` +
        `run \`rpicam-hello --list-cameras\`, and check source.cameraIndex (${config.cameraIndex})`
      );
    }
    return `source rpicam: ${this.command} stopped before the first frame (${how})${said}; check the camera and the source.* settings`;
  }
}

/** Calls `onLine` for every complete line of a stream (the last one too, even without a newline). */
function eachLine(stream: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ''));
      pending = pending.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
    pending = '';
  });
}
