// Acts on the thermal policy during a live flight: a periodic temperature/throttle check engages a frame-rate cap before the firmware throttles, and lifts it once cool.
import type { Frame, FrameSource } from './frame-source.js';
import { wrapFrames } from './frame-wrapper.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { readSocTemperatureC, readThrottleFlags, ThermalPolicy, type ThrottleFlags } from '../platform/thermal.js';

export interface ThermalGovernorOptions {
  config: Config['thermal'];
  logger: Logger;
  /** Default: vcgencmd where it exists; tests pass a fake. */
  readThrottle?: () => Promise<ThrottleFlags | null>;
}

/**
 * Why a cap on frames kept rather than fewer onnxruntime threads: the thread count is fixed when the session
 * is created, while skipping frames lowers preprocessing and inference load at once and is undone instantly.
 */
export class ThermalGovernor {
  private readonly policy: ThermalPolicy;
  private readonly readThrottle: () => Promise<ThrottleFlags | null>;
  private timer: NodeJS.Timeout | null = null;
  private lastKeptAtMs: number | null = null;
  private dropped = 0;
  /** Last reading, for logs and health. */
  temperatureC: number | null = null;

  constructor(private readonly options: ThermalGovernorOptions) {
    const { highC, lowC } = options.config;
    if (!(lowC < highC)) {
      throw new ConfigError(`thermal.lowC: expected a temperature below thermal.highC (${highC}), received ${lowC}; lower lowC or raise highC`);
    }
    this.policy = new ThermalPolicy(highC, lowC);
    this.readThrottle = options.readThrottle ?? (() => readThrottleFlags());
  }

  get state(): 'normal' | 'reduced' {
    return this.policy.state;
  }

  /** Frames dropped by the cap so far. */
  get droppedFrames(): number {
    return this.dropped;
  }

  /** For the health report: whether frames are capped now, at what rate, and what the cap has dropped. */
  health(): { capped: boolean; fpsLimit: number | null; droppedFrames: number } {
    const capped = this.policy.state === 'reduced';
    return { capped, fpsLimit: capped ? this.options.config.reducedFps : null, droppedFrames: this.dropped };
  }

  /** One reading and, when the policy says so, a transition; the periodic timer calls this. */
  async check(): Promise<void> {
    const [temperatureC, flags] = await Promise.all([readSocTemperatureC(this.options.config.sysfsRoot), this.readThrottle()]);
    this.temperatureC = temperatureC;
    const action = this.policy.update(temperatureC, flags);
    const { highC, lowC, reducedFps } = this.options.config;
    if (action === 'reduce') {
      this.options.logger.warn(
        { temperatureC, throttled: flags?.raw ?? null, highC, reducedFps },
        `SoC hot: frames capped at ${reducedFps} fps until it cools to ${lowC} °C (check airflow or a heatsink if this repeats)`,
      );
    } else if (action === 'restore') {
      this.lastKeptAtMs = null;
      this.options.logger.info({ temperatureC, lowC }, 'SoC cooled: frame-rate cap lifted');
    }
  }

  /** Starts the periodic check (first one at once); unref'd so it never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    const run = () => void this.check().catch((err: Error) => this.options.logger.warn({ err: err.message }, 'thermal check failed'));
    run();
    this.timer = setInterval(run, this.options.config.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Whether to keep a frame. The interval is measured between capture times, not wall time, so the cap does
   * not depend on how fast the pipeline pulls; for rpicam the latest-wins slot also drops frames while we are busy.
   */
  keep(frame: Frame): boolean {
    if (this.policy.state === 'normal') return true;
    const minIntervalMs = 1000 / this.options.config.reducedFps;
    if (this.lastKeptAtMs !== null && frame.capturedAtMs - this.lastKeptAtMs < minIntervalMs) {
      this.dropped++;
      return false;
    }
    this.lastKeptAtMs = frame.capturedAtMs;
    return true;
  }

  /** The source with the cap applied; frames keep their seq (the flight sessions number what the pipeline gets). Drops count as "thermal". */
  capFrames(source: FrameSource): FrameSource {
    // Frames keep the seq their source gave them; the flight sessions downstream number what reaches the pipeline.
    return wrapFrames(source, { step: (frame) => (this.keep(frame) ? frame : null), drops: () => ({ thermal: this.dropped }) });
  }
}
