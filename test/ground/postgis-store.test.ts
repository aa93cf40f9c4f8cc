// The PostGIS ground store against a real PostgreSQL 15 + PostGIS 3 cluster: the store contract, typed geometry
// columns with SRID 4326 and GiST indexes, WKB that PostGIS reads back, and several workers creating the schema at once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgisGroundStore } from '../../src/ground/postgis-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { groundStoreContract } from './ground-store-contract.js';
import { mixedBatch } from './ground-samples.js';

let server: PostgisServer;
let url = '';
let n = 0;

beforeAll(async () => {
  server = await startPostgis();
  url = await server.createDatabase(`contract_${n}`);
});
afterAll(async () => {
  await server?.stop();
});

async function rows<R extends pg.QueryResultRow>(sql: string, at = url): Promise<R[]> {
  const client = new pg.Client({ connectionString: at });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

groundStoreContract('PostgisGroundStore', () => ({
  open: () => PostgisGroundStore.open(url, silentLogger),
  scalar: async (sql) => Number(Object.values((await rows(sql))[0] ?? {})[0]),
  reset: async () => {
    n += 1;
    url = await server.createDatabase(`contract_${n}`);
  },
}));

describe('PostgisGroundStore tables', () => {
  test('geometry columns are typed with SRID 4326 and have GiST indexes; stored WKB reads back as the same geometry', async () => {
    const at = await server.createDatabase('typed');
    const store = await PostgisGroundStore.open(at, silentLogger);
    try {
      await store.write(mixedBatch('d1', 'f1', 6));
      await store.rebuildTracks([{ droneId: 'd1', flightId: 'f1' }]);
    } finally {
      await store.close();
    }
    const columns = await rows<{ f_table_name: string; type: string; srid: number }>(
      'SELECT f_table_name, type, srid FROM geometry_columns ORDER BY f_table_name',
      at,
    );
    expect(columns).toEqual([
      { f_table_name: 'class_cells', type: 'POLYGON', srid: 4326 },
      { f_table_name: 'flight_tracks', type: 'LINESTRING', srid: 4326 },
      { f_table_name: 'footprints', type: 'POLYGON', srid: 4326 },
      { f_table_name: 'results', type: 'POINT', srid: 4326 },
    ]);
    const gist = await rows<{ tablename: string }>("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%' ORDER BY tablename", at);
    expect(gist.map((r) => r.tablename)).toEqual(['class_cells', 'flight_tracks', 'footprints', 'results']);
    const point = await rows<{ wkt: string }>('SELECT ST_AsText(geom) AS wkt FROM results WHERE seq = 1', at);
    expect(point[0]?.wkt).toBe('POINT(-83.3052 41.03499)');
    const valid = await rows<{ n: string }>('SELECT count(*) AS n FROM footprints WHERE ST_IsValid(geom) AND ST_Area(geom) > 0', at);
    expect(Number(valid[0]?.n)).toBe(4);
    const track = await rows<{ n: number }>('SELECT ST_NPoints(geom) AS n FROM flight_tracks', at);
    expect(track[0]?.n).toBe(4);
    const topK = await rows<{ label: string }>("SELECT top_k->1->>'label' AS label FROM results WHERE seq = 0", at);
    expect(topK[0]?.label).toBe('bare soil');
  });

  test('workers starting together on an empty database all get the tables (one creates them, the others wait)', async () => {
    const at = await server.createDatabase('together');
    const stores = await Promise.all([1, 2, 3].map(() => PostgisGroundStore.open(at, silentLogger)));
    try {
      const outcomes = await Promise.all(stores.map((s) => s.write(mixedBatch('d1', 'f1', 20))));
      expect(outcomes.reduce((sum, o) => sum + o.resultsInserted, 0)).toBe(20);
      expect(outcomes.reduce((sum, o) => sum + o.resultsDuplicate, 0)).toBe(40);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('a database that cannot be reached is an error naming store.url, without the password', async () => {
    const port = server.port;
    await expect(PostgisGroundStore.open(`postgres://fieldeye:s3cret@127.0.0.1:${port + 1}/nowhere`, silentLogger)).rejects.toThrow(
      /^store\.url: cannot connect to PostGIS postgres:\/\/fieldeye:redacted@127\.0\.0\.1/,
    );
  });
});
