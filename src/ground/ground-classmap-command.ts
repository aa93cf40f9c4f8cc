// `fieldeye ground classmap --config FILE (--flight ID [--drone ID] | --since T [--until T] [--drone ID]) [--cell-m M]
// --out NEW.gpkg`: a field's class map from the stored footprints (PostGIS computes it in SQL, the GeoPackage store in
// TypeScript) into a new GeoPackage layer for QGIS; exit 78 on a configuration fault, naming the option.
import { existsSync } from 'node:fs';
import { ConfigError } from '../config/config-error.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { GeoPackageClassMapSource } from './class-map-gpkg.js';
import { classMapSelection, describeSelection, parseCellM, type ClassMapSelection } from './class-map-options.js';
import { ClassMapWriter } from './class-map-output.js';
import { PostgisClassMapSource } from './class-map-postgis.js';
import { centreOf, type ClassMapSource } from './class-map-source.js';
import { utmZoneOf } from '../geo/utm.js';
import { groundCommandFailed } from './ground-command-failure.js';
import { loadGroundConfig } from './ground-config.js';

export interface GroundClassMapOptions {
  config: string;
  out: string;
  flightId?: string;
  droneId?: string;
  /** ISO 8601 date or date-time, as typed (checked here). */
  since?: string;
  until?: string;
  /** Metres, as typed (checked here); default 10. */
  cellM?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface ClassMapSummary {
  footprints: number;
  cells: number;
  /** The UTM zone the cells are square in. */
  crsEpsg: number;
}

/** Reads `source`, writes the new GeoPackage `out`; a failure leaves no file. */
export async function buildClassMap(source: ClassMapSource, selection: ClassMapSelection, cellM: number, out: string): Promise<ClassMapSummary> {
  const extent = await source.extent(selection);
  if (extent.footprints === 0 || extent.bounds === null) {
    const option = selection.flightId !== undefined ? '--flight' : '--since';
    throw new ConfigError(
      `${option}: no footprints selected by ${describeSelection(selection)} in ${source.description} ` +
        '(results without a footprint, i.e. without height above ground, are not mapped)',
    );
  }
  const centre = centreOf(extent.bounds);
  const zone = utmZoneOf(centre.lon, centre.lat);
  const writer = ClassMapWriter.create(out);
  try {
    for await (const cells of source.cells(selection, zone, cellM)) writer.append(cells, cellM, zone.epsg);
    return { footprints: extent.footprints, cells: writer.finish(), crsEpsg: zone.epsg };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/** Resolves with the exit status. */
export async function groundClassMapCommand(options: GroundClassMapOptions): Promise<number> {
  let logger = options.logger;
  try {
    // The options first: a typo is reported before any database is connected to.
    const cellM = parseCellM(options.cellM);
    const selection = classMapSelection({
      ...(options.flightId !== undefined ? { flight: options.flightId } : {}),
      ...(options.droneId !== undefined ? { drone: options.droneId } : {}),
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
    });
    if (existsSync(options.out)) {
      throw new ConfigError(`--out: ${options.out} exists; the class map is written into a new GeoPackage: choose another path or remove the file`);
    }
    const { config } = loadGroundConfig(options.config, options.env ?? process.env);
    logger ??= createLogger({ level: config.logLevel });
    const source = config.store.url === '' ? GeoPackageClassMapSource.open(config.store.path) : await PostgisClassMapSource.open(config.store.url);
    try {
      const summary = await buildClassMap(source, selection, cellM, options.out);
      logger.info({ from: source.description, out: options.out, cellM, selection, ...summary }, 'ground classmap: written');
    } finally {
      await source.close();
    }
    return 0;
  } catch (error) {
    return groundCommandFailed('ground classmap', error, logger);
  }
}
