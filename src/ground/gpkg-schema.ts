// Creates (or checks) a GeoPackage 1.2 file for the ground store: the standard's core tables, EPSG:4326, one
// layer per table spec, and gpkg_rtree_index spatial indexes with the triggers GDAL creates.
import type Database from 'better-sqlite3';
import { ConfigError } from '../config/config-error.js';
import type { ColumnKind, TableSpec } from './ground-tables.js';

/** "GPKG" as the SQLite application_id (GeoPackage Req 2). */
export const GPKG_APPLICATION_ID = 0x47504b47;
/** GeoPackage 1.2.1, what GDAL 3.6 writes by default; later minor versions add nothing the ground store uses. */
export const GPKG_USER_VERSION = 10200;
export const WGS84_SRS_ID = 4326;

const WGS84_WKT =
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],' +
  'PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],' +
  'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]';

const CORE_DDL = `
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
`;

const SQL_TYPE: Record<ColumnKind, string> = { text: 'TEXT', integer: 'INTEGER', real: 'REAL', time: 'DATETIME', json: 'TEXT' };

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The triggers GDAL (and the GeoPackage 1.2 spec, Annex F.3) create to keep rtree_<t>_<c> in step with the table. */
function rtreeDdl(table: string, column: string): string {
  const t = q(table);
  const c = q(column);
  const r = q(`rtree_${table}_${column}`);
  const trig = (suffix: string): string => q(`rtree_${table}_${column}_${suffix}`);
  const bounds = `NEW.${c} IS NOT NULL AND NOT ST_IsEmpty(NEW.${c})`;
  const gone = `NEW.${c} IS NULL OR ST_IsEmpty(NEW.${c})`;
  const insert = `INSERT OR REPLACE INTO ${r} VALUES (NEW."fid", ST_MinX(NEW.${c}), ST_MaxX(NEW.${c}), ST_MinY(NEW.${c}), ST_MaxY(NEW.${c}));`;
  return `
CREATE VIRTUAL TABLE IF NOT EXISTS ${r} USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER IF NOT EXISTS ${trig('insert')} AFTER INSERT ON ${t} WHEN (${bounds}) BEGIN ${insert} END;
CREATE TRIGGER IF NOT EXISTS ${trig('update1')} AFTER UPDATE OF ${c} ON ${t} WHEN OLD."fid" = NEW."fid" AND (${bounds}) BEGIN ${insert} END;
CREATE TRIGGER IF NOT EXISTS ${trig('update2')} AFTER UPDATE OF ${c} ON ${t} WHEN OLD."fid" = NEW."fid" AND (${gone}) BEGIN DELETE FROM ${r} WHERE id = OLD."fid"; END;
CREATE TRIGGER IF NOT EXISTS ${trig('update3')} AFTER UPDATE ON ${t} WHEN OLD."fid" != NEW."fid" AND (${bounds}) BEGIN DELETE FROM ${r} WHERE id = OLD."fid"; ${insert} END;
CREATE TRIGGER IF NOT EXISTS ${trig('update4')} AFTER UPDATE ON ${t} WHEN OLD."fid" != NEW."fid" AND (${gone}) BEGIN DELETE FROM ${r} WHERE id IN (OLD."fid", NEW."fid"); END;
CREATE TRIGGER IF NOT EXISTS ${trig('delete')} AFTER DELETE ON ${t} WHEN OLD.${c} NOT NULL BEGIN DELETE FROM ${r} WHERE id = OLD."fid"; END;
`;
}

function tableDdl(spec: TableSpec): string {
  const columns = [
    '"fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL',
    ...(spec.geometry ? [`"geom" ${spec.geometry}`] : []),
    ...spec.columns.map((c) => `${q(c.name)} ${SQL_TYPE[c.kind]}${c.notNull ? ' NOT NULL' : ''}`),
    `CONSTRAINT ${q(`uk_${spec.name}_key`)} UNIQUE (${spec.unique.map(q).join(', ')})`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${q(spec.name)} (\n  ${columns.join(',\n  ')}\n);`;
}

/** Refuses a file that is some other SQLite database: the ground store would otherwise add its tables to it. */
function checkIsOurs(db: Database.Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
  if (tables > 0 && applicationId !== GPKG_APPLICATION_ID) {
    throw new ConfigError(
      `store.path: ${path} is an SQLite file but not a GeoPackage (application_id ${applicationId}, expected ${GPKG_APPLICATION_ID}); ` +
        'point store.path at a new file or at a GeoPackage the ground store wrote',
    );
  }
}

export function createGeoPackageSchema(db: Database.Database, path: string, specs: readonly TableSpec[]): void {
  checkIsOurs(db, path);
  db.transaction(() => {
    db.pragma(`application_id = ${GPKG_APPLICATION_ID}`);
    db.pragma(`user_version = ${GPKG_USER_VERSION}`);
    db.exec(CORE_DDL);
    const srs = db.prepare('INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)');
    srs.run('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
    srs.run('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
    srs.run('WGS 84 geodetic', WGS84_SRS_ID, 'EPSG', 4326, WGS84_WKT, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
    const contents = db.prepare('INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, ?, ?, ?, ?)');
    const geometryColumns = db.prepare('INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)');
    const extension = db.prepare(
      "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
    );
    for (const spec of specs) {
      db.exec(tableDdl(spec));
      contents.run(spec.name, spec.geometry ? 'features' : 'attributes', spec.title, spec.description, spec.geometry ? WGS84_SRS_ID : null);
      if (spec.geometry) {
        geometryColumns.run(spec.name, 'geom', spec.geometry, WGS84_SRS_ID);
        db.exec(rtreeDdl(spec.name, 'geom'));
        extension.run(spec.name, 'geom');
      }
    }
  })();
}
