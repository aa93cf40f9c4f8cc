// Turns a results file into one map layer of one geometry type: points or footprints with class and score, or a grid of
// majority classes, as GeoJSON, CSV or KML (GDAL and QGIS read a file that mixes Points and Polygons as "Unknown").
import { offsetLatLon, type GroundPoint } from '../geo/footprint.js';
import { metresPerDegree, northEastM } from '../geo/local-metres.js';
import type { Result } from '../publish/result-schema.js';

export type ExportFormat = 'geojson' | 'csv' | 'kml';

/** Which layer: where each result is (points), or what each frame saw (footprints). */
export type ExportGeometry = 'points' | 'footprints';

type Props = Record<string, string | number | null>;

interface Feature {
  geometry: { type: 'Point'; coordinates: [number, number] } | { type: 'Polygon'; coordinates: Array<Array<[number, number]>> };
  properties: Props;
}

/** Where a result is on the map: the ground target when known, else the drone's position. */
function placeOf(r: Result): GroundPoint | null {
  return r.target ?? (r.position ? { latDeg: r.position.latDeg, lonDeg: r.position.lonDeg } : null);
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

function resultFeatures(results: readonly Result[], geometry: ExportGeometry): Feature[] {
  const out: Feature[] = [];
  for (const r of results) {
    const place = placeOf(r);
    const top = r.top[0];
    if (!place || !top) continue;
    const properties: Props = {
      kind: geometry === 'points' ? 'point' : 'footprint',
      seq: r.seq,
      frame: r.frame.name,
      capturedAt: r.capturedAt,
      class: top.label,
      classIndex: top.index,
      score: round(top.score, 6),
      altAglM: r.position?.altAglM ?? null,
      placedBy: r.target ? 'target' : 'position',
    };
    if (geometry === 'points') out.push({ geometry: { type: 'Point', coordinates: [place.lonDeg, place.latDeg] }, properties });
    else if (r.footprint) out.push({ geometry: { type: 'Polygon', coordinates: r.footprint.coordinates as Array<Array<[number, number]>> }, properties });
  }
  return out;
}

/** One square cell per `cellM` metres (north/east from the south-west corner of the data) with class counts and the majority. */
function gridFeatures(results: readonly Result[], cellM: number): Feature[] {
  const placed = results.flatMap((r) => {
    const p = placeOf(r);
    return p && r.top[0] ? [{ p, label: r.top[0].label }] : [];
  });
  if (placed.length === 0) return [];
  const minLat = Math.min(...placed.map((x) => x.p.latDeg));
  const minLon = Math.min(...placed.map((x) => x.p.lonDeg));
  // Anchor a little south-west of the data so no point sits on the anchor's edge.
  const m = metresPerDegree(minLat);
  const origin = { latDeg: minLat - cellM / 2 / m.northM, lonDeg: minLon - cellM / 2 / m.eastM };
  const cells = new Map<string, { i: number; j: number; counts: Map<string, number> }>();
  for (const { p, label } of placed) {
    const d = northEastM(origin, p);
    const i = Math.floor(d.northM / cellM);
    const j = Math.floor(d.eastM / cellM);
    const key = `${i},${j}`;
    const cell = cells.get(key) ?? { i, j, counts: new Map<string, number>() };
    cell.counts.set(label, (cell.counts.get(label) ?? 0) + 1);
    cells.set(key, cell);
  }
  return [...cells.values()]
    .sort((a, b) => a.i - b.i || a.j - b.j)
    .map(({ i, j, counts }) => {
      // Majority: most frames; a tie goes to the label first in alphabetical order, so exports are deterministic.
      const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const total = ranked.reduce((s, [, n]) => s + n, 0);
      const corner = (n: number, e: number): [number, number] => {
        const q = offsetLatLon(origin, n * cellM, e * cellM);
        return [q.lonDeg, q.latDeg];
      };
      // Counter-clockwise exterior ring, closed (RFC 7946).
      const ring = [corner(i, j), corner(i, j + 1), corner(i + 1, j + 1), corner(i + 1, j), corner(i, j)];
      return {
        geometry: { type: 'Polygon' as const, coordinates: [ring] },
        properties: {
          kind: 'cell',
          cell: `${i},${j}`,
          frames: total,
          majority: ranked[0]?.[0] ?? null,
          majorityShare: round((ranked[0]?.[1] ?? 0) / total, 6),
          counts: JSON.stringify(Object.fromEntries(ranked)),
        },
      };
    });
}

function geojson(features: Feature[]): string {
  return `${JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: f.properties })) }, null, 1)}\n`;
}

/** RFC 4180: quote fields with commas, quotes or line breaks (ImageNet labels have commas). */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function wkt(g: Feature['geometry']): string {
  if (g.type === 'Point') return `POINT (${g.coordinates[0]} ${g.coordinates[1]})`;
  return `POLYGON (${g.coordinates.map((ring) => `(${ring.map(([x, y]) => `${x} ${y}`).join(', ')})`).join(', ')})`;
}

/** One row per feature with a WKT geometry column (GDAL's CSV driver and QGIS read it as geometry). */
function csv(features: Feature[]): string {
  const columns = [...new Set(features.flatMap((f) => Object.keys(f.properties)))];
  const rows = features.map((f) => [csvField(wkt(f.geometry)), ...columns.map((c) => csvField(f.properties[c] ?? null))].join(','));
  return `${['WKT', ...columns].join(',')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function kml(features: Feature[], title: string): string {
  const placemark = (f: Feature): string => {
    const p = f.properties;
    const name = String(p['class'] ?? p['majority'] ?? '');
    const data = Object.entries(p)
      .map(([k, v]) => `<Data name="${xml(k)}"><value>${xml(v === null ? '' : String(v))}</value></Data>`)
      .join('');
    const geometry =
      f.geometry.type === 'Point'
        ? `<Point><coordinates>${f.geometry.coordinates.join(',')}</coordinates></Point>`
        : `<Polygon><outerBoundaryIs><LinearRing><coordinates>${(f.geometry.coordinates[0] ?? []).map((c) => c.join(',')).join(' ')}</coordinates></LinearRing></outerBoundaryIs></Polygon>`;
    return `<Placemark><name>${xml(name)}</name><ExtendedData>${data}</ExtendedData>${geometry}</Placemark>`;
  };
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<kml xmlns="http://www.opengis.net/kml/2.2">',
    `<Document><name>${xml(title)}</name>`,
    ...features.map(placemark),
    '</Document>',
    '</kml>',
    '',
  ].join('\n');
}

export interface ExportOptions {
  format: ExportFormat;
  /** Cell size in metres for a grid of majority classes; absent = one feature per result. */
  gridM?: number;
  /** Without a grid: points (default) or footprints. */
  geometry?: ExportGeometry;
  title: string;
}

export function exportResults(results: readonly Result[], options: ExportOptions): { text: string; features: number } {
  const features = options.gridM !== undefined ? gridFeatures(results, options.gridM) : resultFeatures(results, options.geometry ?? 'points');
  const text = options.format === 'geojson' ? geojson(features) : options.format === 'csv' ? csv(features) : kml(features, options.title);
  return { text, features: features.length };
}
