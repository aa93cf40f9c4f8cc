// Creates the ground store's tables in PostgreSQL + PostGIS: the same tables and keys as the GeoPackage, geometry
// columns typed with SRID 4326 and GiST indexes; safe when several workers start at once.
import type { ClientBase } from 'pg';
import type { ColumnKind, TableSpec } from './ground-tables.js';
import { quoteIdent } from './upsert-sql.js';

export const PG_TYPE: Record<ColumnKind, string> = {
  text: 'text',
  integer: 'bigint',
  real: 'double precision',
  time: 'timestamptz',
  json: 'jsonb',
};

const GEOMETRY_TYPE = { POINT: 'Point', LINESTRING: 'LineString', POLYGON: 'Polygon' } as const;

/** Any constant: workers starting together take this advisory lock so only one creates the tables at a time. */
const SCHEMA_LOCK = 0x6669656c; // "fiel"

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function tableDdl(spec: TableSpec): string[] {
  const t = quoteIdent(spec.name);
  const columns = [
    '"fid" bigserial PRIMARY KEY',
    ...(spec.geometry ? [`"geom" geometry(${GEOMETRY_TYPE[spec.geometry]}, 4326)`] : []),
    ...spec.columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPE[c.kind]}${c.notNull ? ' NOT NULL' : ''}`),
    `CONSTRAINT ${quoteIdent(`uk_${spec.name}_key`)} UNIQUE (${spec.unique.map(quoteIdent).join(', ')})`,
  ];
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (\n  ${columns.join(',\n  ')}\n)`,
    ...(spec.geometry ? [`CREATE INDEX IF NOT EXISTS ${quoteIdent(`${spec.name}_geom_gist`)} ON ${t} USING gist ("geom")`] : []),
    `COMMENT ON TABLE ${t} IS ${literal(`${spec.title}: ${spec.description}`)}`,
  ];
}

/** Runs in its own transaction; a database without PostGIS available gets an error that says who can fix it. */
export async function createPostgisSchema(client: ClientBase, specs: readonly TableSpec[]): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
    } catch (error) {
      throw new Error(
        `store.url: cannot enable PostGIS in this database (${(error as Error).message}); install PostGIS on the server ` +
          '(Debian: postgresql-15-postgis-3) and have a superuser run "CREATE EXTENSION postgis" in it once',
        { cause: error },
      );
    }
    for (const spec of specs) for (const sql of tableDdl(spec)) await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
