// The `fieldeye ground ...` commands: the ground station's store process, its export and the class map of a field.
import type { Command } from 'commander';
import { groundClassMapCommand } from '../ground/ground-classmap-command.js';
import { groundCommand } from '../ground/ground-command.js';
import { groundExportCommand } from '../ground/ground-export-command.js';
import { definedOnly } from '../platform/defined-only.js';

export function addGroundCommands(program: Command, setExit: (code: number) => void): void {
  const ground = program
    .command('ground')
    .description(
      'Ground-station store: subscribes to every drone (persistent MQTT 5 session, QoS 1) and keeps each result once in a GeoPackage or PostGIS; acknowledged only after the commit.',
    )
    .requiredOption('-c, --config <file>', 'ground config (YAML); see config/ground.yaml for every key')
    .action(async (opts: { config: string }) => {
      setExit(await groundCommand({ config: opts.config }));
    });
  ground
    .command('export')
    .description(
      'Copy what the store holds (all, one drone, one flight, or what was captured since a time) into a new GeoPackage, GeoJSON or CSV file for QGIS or a spreadsheet.',
    )
    // No --config of its own: `ground`'s (a global option here) takes it wherever it is on the line, so one declared
    // here would never be set; it is read with optsWithGlobals.
    .requiredOption('--out <file>', 'the new file (never overwritten)')
    .option('--drone <id>', 'only this drone')
    .option('--flight <id>', 'only this flight')
    .option('--since <time>', 'only what was captured at or after this ISO 8601 date or date-time (2024-05-01 = midnight UTC; 2024-05-01T10:30:00Z)')
    .option('--format <format>', 'gpkg (every layer; default), geojson (one layer) or csv (one row per result)')
    .option('--geometry <layer>', 'with --format geojson: points (results; default), footprints or tracks')
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{
        config: string;
        out: string;
        drone?: string;
        flight?: string;
        since?: string;
        format?: string;
        geometry?: string;
      }>();
      setExit(
        await groundExportCommand({
          config: opts.config,
          out: opts.out,
          ...definedOnly({ droneId: opts.drone, flightId: opts.flight, since: opts.since, format: opts.format, geometry: opts.geometry }),
        }),
      );
    });
  ground
    .command('classmap')
    .description(
      "A field's class map from the stored footprints: each class's share of every square cell (metres, in the UTM zone of the selection's centre), area-weighted, for one flight or a capture-time range, into a new GeoPackage layer for QGIS. PostGIS computes it in SQL.",
    )
    // --config is ground's (a global option here), read with optsWithGlobals, as for `ground export`.
    .requiredOption('--out <file>', 'the new GeoPackage (never overwritten)')
    .option('--flight <id>', 'the footprints of this flight')
    .option('--drone <id>', 'only this drone')
    .option('--since <time>', 'instead of --flight: what was captured at or after this ISO 8601 date or date-time (2024-05-01 = midnight UTC)')
    .option('--until <time>', 'with --since: only what was captured before this time')
    .option('--cell-m <metres>', 'cell size in metres, 1..1000 (default 10)')
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ config: string; out: string; flight?: string; drone?: string; since?: string; until?: string; cellM?: string }>();
      setExit(
        await groundClassMapCommand({
          config: opts.config,
          out: opts.out,
          ...definedOnly({ flightId: opts.flight, droneId: opts.drone, since: opts.since, until: opts.until, cellM: opts.cellM }),
        }),
      );
    });
}
