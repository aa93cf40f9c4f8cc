// `fieldeye coverage FLIGHT|RESULTS`: before landing, how much of the field the footprints cover, the gaps and the
// lines to fly over them, and which frames did not count (no position, no footprint, motion blur).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { computeCoverage } from '../field/coverage-compute.js';
import { BOUNDARY_FORMATS, readFieldBoundary } from '../field/field-boundary.js';
import { coverageFrames, readCoverageInput } from '../field/coverage-input.js';
import { coverageSummary, writeCoverageFiles } from '../field/coverage-output.js';
import { CoverageSchema } from '../publish/coverage-schema.js';

export interface CoverageCommandOptions {
  boundary?: string;
  json: boolean;
  out?: string;
  flight?: string;
  exposureUs?: number;
  minGapM2?: number;
}

export async function coverageCommand(input: string, opts: CoverageCommandOptions): Promise<number> {
  if (opts.exposureUs !== undefined && !(opts.exposureUs > 0))
    throw new ConfigError(`--exposure-us: expected microseconds above 0, received ${opts.exposureUs}`);
  if (opts.minGapM2 !== undefined && !(opts.minGapM2 >= 0)) throw new ConfigError(`--min-gap-m2: expected square metres, 0 or more, received ${opts.minGapM2}`);
  const read = await readCoverageInput(resolve(input), opts.flight !== undefined ? resolve(opts.flight) : undefined);
  for (const p of read.problems) process.stderr.write(`fieldeye: skipped ${p}\n`);
  const first = read.results[0];
  if (!first) throw new ConfigError(`${input}: no results in it: nothing to measure coverage from`);
  const flights = new Set(read.results.map((r) => r.flightId));
  if (flights.size > 1) process.stderr.write(`fieldeye: ${flights.size} flights in ${input}; their footprints are measured together\n`);
  const boundary = opts.boundary !== undefined ? await readFieldBoundary(resolve(opts.boundary)) : null;
  const frames = await coverageFrames(read, opts.exposureUs);
  const result = computeCoverage(frames, {
    droneId: first.droneId,
    flightId: read.flight?.manifest.flightId ?? first.flightId,
    boundary,
    ...(opts.minGapM2 !== undefined ? { minGapM2: opts.minGapM2 } : {}),
  });
  // The same document the drone publishes: what --json prints is valid against schemas/coverage.schema.json.
  const coverage = CoverageSchema.parse(result.coverage);
  const written = opts.out !== undefined ? await writeCoverageFiles(result, resolve(opts.out)) : [];
  if (opts.json) process.stdout.write(`${JSON.stringify(coverage, null, 2)}\n`);
  else {
    process.stdout.write(coverageSummary(coverage));
    for (const file of written) process.stdout.write(`wrote ${file}\n`);
  }
  return 0;
}

/** Registers `coverage` on the program (kept here so the CLI's file stays short); `done` receives the exit code. */
export function addCoverageCommand(program: Command, done: (code: number) => void): void {
  program
    .command('coverage')
    .description(
      "Before landing: how much of the field the results' footprints cover, the gaps (polygons, and extra survey lines over them), frames with no position or footprint, and blurred frames.",
    )
    .argument('<flight-or-results>', 'flight folder with a results.jsonl, or a results file (JSON lines)')
    .option('--boundary <file>', `field boundary: ${BOUNDARY_FORMATS} (default: the convex hull of the footprints)`)
    .option('--json', 'print the coverage document (the retained coverage message) as JSON', false)
    .option('-o, --out <dir>', 'write coverage.geojson, gaps.geojson (Polygons) and lines.geojson (LineStrings) into this folder')
    .option('--flight <dir>', 'the recording a results file came from: frame sizes, exposure and ground speed for the blur check')
    .option('--exposure-us <us>', "every frame's exposure time, microseconds, instead of the recording's (a fixed shutter)", Number)
    .option('--min-gap-m2 <m2>', 'gaps smaller than this are slivers, not gaps', Number, 1)
    .action(async (input: string, opts: CoverageCommandOptions) => {
      done(await coverageCommand(input, opts));
    });
}
