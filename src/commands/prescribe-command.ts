// `fieldeye prescribe RESULTS|FLIGHT --rules rules.yaml --out DIR`: a rate per grid cell from the results' footprints
// and the rules, written as a zipped shapefile, an ISOXML task, a PNG preview and a summary.
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { readResults } from '../flight/flight-reader.js';
import { FLIGHT_FILES } from '../flight/recording-format.js';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import { BOUNDARY_FORMATS, readFieldBoundary } from '../field/field-boundary.js';
import { buildGrid, type GridResult } from '../field/prescription-grid.js';
import { readStoredFlight } from '../field/stored-flight-results.js';
import { createLogger } from '../platform/logger.js';
import { writeTaskData } from '../field/prescription-isoxml.js';
import { renderPreview } from '../field/prescription-png.js';
import { applyRules } from '../field/prescription-rates.js';
import { readRules } from '../field/prescription-rules.js';
import { cellFeatures, shapefileZip } from '../field/prescription-shapefile.js';
import { summarize, summaryText } from '../field/prescription-summary.js';

export interface PrescribeCommandOptions {
  rules: string;
  out: string;
  cellM: number;
  heading?: number;
  boundary?: string;
  /** A ground config: read the flight (--flight, --drone) from its store instead of a results file. */
  store?: string;
  flight?: string;
  drone?: string;
}

/** The results to grid: a results file or flight folder, or one flight of the ground store. */
async function prescriptionInput(input: string | undefined, opts: PrescribeCommandOptions): Promise<{ items: GridResult[]; name: string }> {
  if (opts.store !== undefined) {
    if (input !== undefined) throw new ConfigError(`--store reads the flight from the ground store: leave out ${input}`);
    if (opts.flight === undefined) throw new ConfigError('--store: needs --flight ID (and --drone ID when several drones flew that id)');
    const items = await readStoredFlight(resolve(opts.store), opts.flight, opts.drone, createLogger({ level: 'warn', destination: 2 }));
    return { items, name: `flight ${opts.flight} of ${opts.store}` };
  }
  if (input === undefined) throw new ConfigError('give a results file or flight folder, or --store GROUND_CONFIG --flight ID');
  const read = await readResults(resultsPathOf(input));
  for (const p of read.problems) process.stderr.write(`fieldeye: skipped ${p}\n`);
  return { items: read.items, name: input };
}

function resultsPathOf(input: string): string {
  const isDir = statSync(input, { throwIfNoEntry: false })?.isDirectory() === true;
  const path = isDir ? join(input, FLIGHT_FILES.results) : input;
  if (statSync(path, { throwIfNoEntry: false }) === undefined) {
    throw new FieldeyeError(
      'input',
      isDir
        ? `${input}: no ${FLIGHT_FILES.results} in the flight folder; replay it with --out ${join(input, FLIGHT_FILES.results)} first`
        : `${input}: no such results file`,
    );
  }
  return path;
}

function checkOptions(opts: PrescribeCommandOptions): void {
  if (!(opts.cellM >= 0.5 && opts.cellM <= 1000)) throw new ConfigError(`--cell-m: expected metres between 0.5 and 1000, received ${opts.cellM}`);
  if (opts.heading !== undefined && !(Number.isFinite(opts.heading) && opts.heading >= 0 && opts.heading <= 360)) {
    throw new ConfigError(`--heading: expected degrees from north between 0 and 360, received ${opts.heading}`);
  }
}

/** Lon/lat box of the features: the ISOXML grid covers exactly it. */
function lonLatBox(features: ReturnType<typeof cellFeatures>): [number, number, number, number] {
  const pts = features.flatMap((f) => f.geometry.coordinates.flat());
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export async function prescribeCommand(input: string | undefined, opts: PrescribeCommandOptions): Promise<number> {
  checkOptions(opts);
  const rules = await readRules(opts.rules);
  const boundary = opts.boundary !== undefined ? await readFieldBoundary(opts.boundary) : null;
  const read = await prescriptionInput(input, opts);
  if (read.items.length === 0)
    throw new FieldeyeError(
      'input',
      `${read.name}: no results in it (a simulated or recorded flight's own results.jsonl may be empty: replay it with --out FILE and give that file)`,
    );
  const labels = new Set(read.items.map((r) => r.top[0]?.label));
  for (const rule of rules.rules) {
    if (!labels.has(rule.when.class))
      process.stderr.write(`fieldeye: warning: no result's top class is "${rule.when.class}" (${basename(opts.rules)} rules); that rule never matches\n`);
  }
  const grid = buildGrid(read.items, { cellM: opts.cellM, boundary, ...(opts.heading !== undefined ? { headingDeg: opts.heading } : {}) });
  if (grid.cells.length === 0) throw new FieldeyeError('input', 'the grid has no cell inside the field: does the boundary overlap the surveyed area?');
  const rated = applyRules(grid.cells, rules);
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  const features = cellFeatures(grid, rated.rates);
  await writeFile(join(out, 'prescription.zip'), await shapefileZip(features));
  const iso = await writeTaskData(out, grid, rated.rates, lonLatBox(features), rules, `fieldeye ${rules.product}`, boundary);
  await writeFile(join(out, 'prescription.png'), await renderPreview(grid, rated.rates, rules.unit));
  const summary = summarize(grid, rated, rules, {
    columns: iso.numCols,
    rows: iso.numRows,
    cellWidthDeg: iso.cellWidth,
    cellHeightDeg: iso.cellHeight,
    ddi: iso.ddi,
  });
  await writeFile(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(summaryText(summary, out));
  return 0;
}

/** Declares the command on the CLI's program, as coverage and ground do (src/cli.ts stays a list of registrations). */
export function addPrescribeCommand(program: Command, exit: (code: number) => void): void {
  program
    .command('prescribe')
    .description(
      'A prescription map from the results: rotated grid cells with area-weighted class shares, a rate per cell from YAML rules; writes prescription.zip (shapefile), TASKDATA/ (ISOXML), prescription.png and summary.json.',
    )
    .argument('[flight-or-results]', 'flight folder with a results.jsonl, or a results file (JSON lines); or --store')
    .requiredOption('--rules <file>', 'rules YAML: product, unit, rules (when class share >= x: rate), otherwise, unseen, bufferCells, minZoneCells')
    .requiredOption('-o, --out <dir>', 'folder to write into (created if missing; files in it are replaced)')
    .option('--cell-m <m>', 'cell size, metres', Number, 5)
    .option('--heading <deg>', "the machine's driving direction, degrees from north (default: the flight's main track direction)", Number)
    .option('--boundary <file>', `field boundary: ${BOUNDARY_FORMATS}; cells are clipped to it`)
    .option('--store <ground-config>', "read the flight from this ground config's store (GeoPackage or PostGIS) instead of a file")
    .option('--flight <id>', 'with --store: the flight')
    .option('--drone <id>', 'with --store: the drone, when several flew that flight id')
    .action(async (input: string | undefined, opts: PrescribeCommandOptions) => {
      exit(await prescribeCommand(input, opts));
    });
}
