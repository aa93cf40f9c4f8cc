// A progress bar on stderr for long work (model build, feature extraction, calibration, import, replay), shown only to
// a person: on a terminal with pretty logs, never in JSON mode; log lines written meanwhile go above it.
import cliProgress from 'cli-progress';
import { logFormatFor } from './log-format.js';

export interface Progress {
  /** False when nothing is drawn (not a terminal, JSON logs, or another bar already running). */
  readonly visible: boolean;
  /** Sets how much is done (the total grows when `done` passes it). */
  update(done: number): void;
  /** One more done. */
  tick(): void;
  /** Removes the bar; always call it (finally), since a running bar keeps a redraw timer. */
  done(): void;
}

const HIDDEN: Progress = { visible: false, update: () => {}, tick: () => {}, done: () => {} };

/** The one bar on screen; nested work (a simulation inside a model build) draws none of its own. */
let active: cliProgress.SingleBar | null = null;

/** Bars only for a person: stderr is a terminal, logs are pretty, and FIELDEYE_PROGRESS is not "off". */
export function progressWanted(): boolean {
  return process.stderr.isTTY === true && logFormatFor(2) === 'pretty' && process.env['FIELDEYE_PROGRESS'] !== 'off';
}

/** Starts a bar of `total` steps labelled `label`, or a hidden one where no bar belongs. */
export function startProgress(label: string, total: number): Progress {
  if (active !== null || total <= 0 || !progressWanted()) return HIDDEN;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} {percentage}% | eta {eta_formatted}`,
      barsize: 24,
      clearOnComplete: true,
      hideCursor: false,
      // Drawn again on every tick even when unchanged: a log line written above it has just cleared its row.
      forceRedraw: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  active = bar;
  let value = 0;
  let size = total;
  const update = (done: number) => {
    value = done;
    if (value > size) bar.setTotal((size = value));
    bar.update(value);
  };
  return {
    visible: true,
    update,
    tick: () => update(value + 1),
    done: () => {
      if (active !== bar) return;
      active = null;
      bar.stop();
    },
  };
}

/** Removes any bar still on screen: the CLI calls it on its way out, so a command that failed midway leaves no timer. */
export function stopProgress(): void {
  const bar = active;
  active = null;
  bar?.stop();
}

/**
 * Writes `text` (whole lines) to `out` without tearing the bar: the bar's line is cleared first and the bar drawn again
 * below the text, so logs and progress read as one stream.
 */
export function writeAboveProgress(out: NodeJS.WriteStream, text: string): void {
  if (active === null) {
    out.write(text);
    return;
  }
  process.stderr.write('\r\x1b[2K');
  out.write(text);
  active.render();
}
