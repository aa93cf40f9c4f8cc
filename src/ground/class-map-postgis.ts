// The class map computed in PostGIS: the selected footprints transformed into the UTM zone, cut by ST_SquareGrid
// cells (aligned to multiples of the cell size from the CRS origin), ST_Area(ST_Intersection) summed per cell and
// label, shares, majority and area-weighted score in SQL; read through a cursor, so the client holds one batch.
import pg from 'pg';
import { ConfigError } from '../config/config-error.js';
import { redactUrl } from '../platform/redact-url.js';
import { MIN_PIECE_M2, type ClassMapCell } from '../geo/class-map-cells.js';
import { selectionWhere, type ClassMapSelection } from './class-map-options.js';
import { CELL_BATCH, type ClassMapSource, type SelectionExtent } from './class-map-source.js';
import type { UtmZone } from '../geo/utm.js';
import { geometryOfWkb } from './wkb-geojson.js';

/**
 * $1 the UTM EPSG code, $2 the cell size, $3 the smallest piece counted; the selection's values follow. Labels
 * order by code point (COLLATE "C") as the GeoPackage side orders them, whatever the database's collation.
 */
function cellsSql(where: string): string {
  return `
WITH picked AS (
  SELECT top1_label AS label, top1_score AS score, ST_Transform(geom, $1::integer) AS g FROM footprints WHERE ${where}
), pieces AS (
  SELECT c.j AS cell_row, c.i AS cell_col, p.label, p.score, ST_Area(ST_Intersection(p.g, c.geom)) AS area
  FROM picked p CROSS JOIN LATERAL ST_SquareGrid($2::double precision, p.g) AS c
), labels AS (
  SELECT cell_row, cell_col, label, sum(area) AS area, sum(area * score) AS score_area, count(*) AS n
  FROM pieces WHERE area >= $3::double precision GROUP BY cell_row, cell_col, label
), shares AS (
  SELECT *, area / sum(area) OVER (PARTITION BY cell_row, cell_col) AS share FROM labels
)
SELECT cell_row, cell_col, sum(n)::integer AS footprints, sum(area) AS covered_m2, sum(score_area) / sum(area) AS mean_score,
  array_agg(label ORDER BY label COLLATE "C") AS labels, array_agg(share ORDER BY label COLLATE "C") AS shares,
  (array_agg(label ORDER BY area DESC, label COLLATE "C"))[1] AS majority_label, max(share) AS majority_share,
  ST_AsBinary(ST_ForcePolygonCCW(ST_Transform(ST_MakeEnvelope(cell_col * $2::double precision, cell_row * $2::double precision,
    (cell_col + 1) * $2::double precision, (cell_row + 1) * $2::double precision, $1::integer), 4326))) AS wkb
FROM shares GROUP BY cell_row, cell_col ORDER BY cell_row, cell_col`;
}

interface CellRow {
  cell_row: number;
  cell_col: number;
  footprints: number;
  covered_m2: number;
  mean_score: number;
  labels: string[];
  shares: number[];
  majority_label: string;
  majority_share: number;
  wkb: Buffer;
}

function cellOfRow(r: CellRow): ClassMapCell {
  const polygon = geometryOfWkb(r.wkb);
  if (polygon === null) throw new Error(`PostGIS returned an empty polygon for cell ${r.cell_row}:${r.cell_col}`);
  return {
    row: r.cell_row,
    col: r.cell_col,
    majorityLabel: r.majority_label,
    majorityShare: r.majority_share,
    coveredM2: r.covered_m2,
    footprints: r.footprints,
    meanScore: r.mean_score,
    shares: r.labels.map((label, i) => [label, r.shares[i] ?? 0]),
    polygon,
  };
}

export class PostgisClassMapSource implements ClassMapSource {
  readonly description: string;

  private constructor(
    private readonly client: pg.Client,
    url: string,
  ) {
    this.description = `PostGIS ${redactUrl(url)}`;
  }

  static async open(url: string): Promise<PostgisClassMapSource> {
    const client = new pg.Client({ connectionString: url, application_name: 'fieldeye-classmap' });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new Error(`store.url: cannot connect to PostGIS ${redactUrl(url)} (${(error as Error).message})`, { cause: error });
    }
    return new PostgisClassMapSource(client, url);
  }

  async extent(selection: ClassMapSelection): Promise<SelectionExtent> {
    const where = selectionWhere(selection, (n) => `$${n}`);
    let rows: Array<Record<string, number | string | null>>;
    try {
      ({ rows } = await this.client.query(
        'SELECT count(*) AS n, min(ST_XMin(geom)) AS "minLon", max(ST_XMax(geom)) AS "maxLon", min(ST_YMin(geom)) AS "minLat", ' +
          `max(ST_YMax(geom)) AS "maxLat" FROM footprints WHERE ${where.sql}`,
        where.params,
      ));
    } catch (error) {
      // 42P01: no footprints table, i.e. no ground process ever stored into this database.
      if ((error as { code?: string }).code !== '42P01') throw error;
      throw new ConfigError(`store.url: ${this.description} has no footprints table; is it the ground station's database?`);
    }
    const r = rows[0] ?? {};
    const bounds =
      r.minLon === null || r.minLon === undefined
        ? null
        : { minLon: Number(r.minLon), maxLon: Number(r.maxLon), minLat: Number(r.minLat), maxLat: Number(r.maxLat) };
    return { footprints: Number(r.n ?? 0), bounds };
  }

  async *cells(selection: ClassMapSelection, zone: UtmZone, cellM: number): AsyncIterable<ClassMapCell[]> {
    const where = selectionWhere(selection, (n) => `$${n + 3}`);
    await this.client.query('BEGIN READ ONLY');
    try {
      await this.client.query(`DECLARE class_map NO SCROLL CURSOR FOR ${cellsSql(where.sql)}`, [zone.epsg, cellM, MIN_PIECE_M2, ...where.params]);
      for (;;) {
        const { rows } = await this.client.query<CellRow>(`FETCH ${CELL_BATCH} FROM class_map`);
        if (rows.length === 0) break;
        yield rows.map(cellOfRow);
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
