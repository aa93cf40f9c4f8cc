// Groups consecutive telemetry samples without a usable position into reported periods (imports say where the gaps are, never fill them).
import type { NoFixPeriod } from './recording-format.js';

export interface PositionState {
  timeMs: number;
  /** null when the sample has a position; otherwise what was wrong with it. */
  noFixWhy: string | null;
}

/** `samples` in time order; a new period starts when the reason changes. */
export function noFixPeriods(samples: readonly PositionState[]): NoFixPeriod[] {
  const periods: NoFixPeriod[] = [];
  let open: NoFixPeriod | null = null;
  for (const s of samples) {
    if (s.noFixWhy === null) {
      open = null;
      continue;
    }
    if (open && open.why === s.noFixWhy) {
      open.toMs = s.timeMs;
      open.samples++;
    } else {
      open = { fromMs: s.timeMs, toMs: s.timeMs, samples: 1, why: s.noFixWhy };
      periods.push(open);
    }
  }
  return periods;
}
