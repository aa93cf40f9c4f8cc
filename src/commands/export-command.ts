// `fieldeye export RESULTS`: a results file as a map layer (GeoJSON, CSV with WKT, KML), points and footprints or a majority-class grid.
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { readResults } from '../flight/flight-reader.js';
import { exportResults, type ExportFormat } from '../flight/export-results.js';

export interface ExportCommandOptions {
  format: ExportFormat;
  grid?: number;
  out: string;
}

export async function exportCommand(resultsPath: string, opts: ExportCommandOptions): Promise<number> {
  if (opts.grid !== undefined && !(opts.grid > 0)) throw new Error(`--grid: expected a cell size in metres above 0, received ${opts.grid}`);
  const read = await readResults(resultsPath);
  for (const p of read.problems) process.stderr.write(`fieldeye: skipped ${p}\n`);
  const { text, features } = exportResults(read.items, {
    format: opts.format,
    ...(opts.grid !== undefined ? { gridM: opts.grid } : {}),
    title: basename(resultsPath),
  });
  const out = resolve(opts.out);
  await writeFile(out, text);
  const unplaced = read.items.filter((r) => r.position === null && r.target === null).length;
  process.stdout.write(
    `wrote ${features} features (${opts.grid !== undefined ? `${opts.grid} m grid cells` : 'points and footprints'}) from ${read.items.length} results to ${out}${unplaced > 0 ? `; ${unplaced} results without a position left out` : ''}\n`,
  );
  return 0;
}
