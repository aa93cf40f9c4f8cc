// `fieldeye diff A B`: what changed between two result sets of one flight; exit 2 when a limit is passed, so CI can guard a model change.
import { readResults } from '../flight/flight-reader.js';
import { diffResults, type DiffReport } from '../flight/diff-results.js';

export interface DiffCommandOptions {
  /** Largest acceptable share of frames whose top-1 class changed (0..1). */
  maxDisagreement: number;
  /** Largest acceptable geotag drift, metres. */
  maxGeotagDriftM: number;
  /** Largest acceptable mean score drift (0..1). */
  maxScoreDrift: number;
  json: boolean;
}

/** Exit code when the sets differ more than allowed (1 stays "could not run"). */
export const DIFF_OVER_LIMIT_EXIT = 2;

async function load(path: string, which: 'A' | 'B') {
  const read = await readResults(path);
  if (read.problems.length > 0)
    throw new Error(`results ${which} ${path}: ${read.problems.length} unreadable lines (${read.problems[0]}); fix or regenerate the file`);
  return read.items;
}

function violations(r: DiffReport, o: DiffCommandOptions): string[] {
  const out: string[] = [];
  if (1 - r.agreement > o.maxDisagreement)
    out.push(`top-1 disagreement ${((1 - r.agreement) * 100).toFixed(2)} % > --max-disagreement ${(o.maxDisagreement * 100).toFixed(2)} %`);
  if (r.geotagDrift.maxM > o.maxGeotagDriftM) out.push(`geotag drift ${r.geotagDrift.maxM.toFixed(3)} m > --max-geotag-drift-m ${o.maxGeotagDriftM}`);
  if (r.geotagDrift.onlyInA + r.geotagDrift.onlyInB > 0) out.push(`${r.geotagDrift.onlyInA + r.geotagDrift.onlyInB} frames geotagged in one set only`);
  if (r.scoreDrift.mean > o.maxScoreDrift) out.push(`mean score drift ${r.scoreDrift.mean.toFixed(4)} > --max-score-drift ${o.maxScoreDrift}`);
  if (r.matched === 0) out.push('no frame is in both sets: are they results of the same flight?');
  return out;
}

export async function diffCommand(pathA: string, pathB: string, opts: DiffCommandOptions): Promise<number> {
  const report = diffResults(await load(pathA, 'A'), await load(pathB, 'B'));
  const over = violations(report, opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...report, overLimit: over }, null, 2)}\n`);
  } else {
    const lines = [
      `frames: A ${report.framesA}, B ${report.framesB}, in both ${report.matched} (only in A ${report.onlyInA.length}, only in B ${report.onlyInB.length})`,
      `top-1 agreement: ${(report.agreement * 100).toFixed(2)} % (${report.top1Changes.length} changed)`,
      `score drift (A's top-1 class): mean ${report.scoreDrift.mean.toFixed(4)}, max ${report.scoreDrift.max.toFixed(4)}`,
      `geotag drift: mean ${report.geotagDrift.meanM.toFixed(3)} m, max ${report.geotagDrift.maxM.toFixed(3)} m over ${report.geotagDrift.compared} frames`,
      ...report.top1Changes.slice(0, 20).map((c) => `  ${c.frame}: ${c.a.label} (${c.a.score.toFixed(3)}) -> ${c.b.label} (${c.b.score.toFixed(3)})`),
      ...(report.top1Changes.length > 20 ? [`  ... and ${report.top1Changes.length - 20} more (--json lists all)`] : []),
      ...over.map((v) => `OVER LIMIT: ${v}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return over.length > 0 ? DIFF_OVER_LIMIT_EXIT : 0;
}
