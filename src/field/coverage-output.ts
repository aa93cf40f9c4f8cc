// What `fieldeye coverage` hands a human and a GIS: a printed summary, and map files of one geometry type each
// (coverage.geojson: boundary and covered area; gaps.geojson: Polygons; lines.geojson: LineStrings).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Coverage, GeoJsonMultiPolygon } from '../publish/coverage-schema.js';
import type { CoverageResult } from './coverage-compute.js';

function seqs(list: { count: number; seqs: number[] }): string {
  const shown = list.seqs.slice(0, 20).join(', ');
  return list.count === 0 ? '' : ` (seq ${shown}${list.count > 20 ? `, ... ${list.count - 20} more` : ''})`;
}

const pct = (share: number | null) => (share === null ? 'n/a' : `${(share * 100).toFixed(1)} %`);

/** The printed summary: coverage first (the decision: fly the gaps or land), then what did not count. */
export function coverageSummary(c: Coverage): string {
  const against =
    c.boundary.kind === 'file'
      ? `the field boundary ${c.boundary.name}`
      : 'the convex hull of the footprints (no --boundary: gaps inside the surveyed area only, a missed field edge cannot show)';
  const lines = [
    `coverage of ${c.droneId}/${c.flightId} against ${against}`,
    `  covered:  ${pct(c.coveredShare)} of ${(c.boundary.areaM2 / 1e4).toFixed(4)} ha (${c.coveredHa.toFixed(4)} ha)`,
    `  gaps:     ${c.gaps.count} of at least ${c.gaps.minAreaM2} m², ${c.gaps.areaM2.toFixed(1)} m² in all` +
      (c.gaps.sliversDropped > 0 ? `; ${c.gaps.sliversDropped} slivers below that ignored` : ''),
  ];
  if (c.lines.lines.length > 0) {
    lines.push(
      `  to fly:   ${c.lines.lines.length} extra lines, ${c.lines.totalLengthM.toFixed(0)} m, heading ${c.lines.headingDeg?.toFixed(1)}°, ${c.lines.spacingM?.toFixed(1)} m apart`,
    );
  }
  const f = c.frames;
  lines.push(`  frames:   ${f.total}, ${f.withFootprint} with a footprint`);
  if (f.noPosition.count > 0) lines.push(`            ${f.noPosition.count} without a position${seqs(f.noPosition)}`);
  if (f.noFootprint.count > 0) lines.push(`            ${f.noFootprint.count} with a position but no footprint${seqs(f.noFootprint)}`);
  if (f.notCounted > 0) lines.push(`            ${f.notCounted} footprints beyond the collector's cap, not counted`);
  const b = c.blur;
  lines.push(`  blur:     ${b.checked} frames checked, ${b.blurred.count} blurred${seqs(b.blurred)}`);
  if (b.note) lines.push(`            ${b.note}`);
  return `${lines.join('\n')}\n`;
}

function collection(features: unknown[]): string {
  return `${JSON.stringify({ type: 'FeatureCollection', features })}\n`;
}

/** One Polygon feature per part, so a layer holds Polygons only (GDAL then reports the type, not "Unknown"). */
function polygonFeatures(mp: GeoJsonMultiPolygon, properties: (index: number) => Record<string, unknown>): unknown[] {
  return mp.coordinates.map((coordinates, i) => ({ type: 'Feature', properties: properties(i), geometry: { type: 'Polygon', coordinates } }));
}

/** Writes coverage.geojson, gaps.geojson and lines.geojson into `dir` (created); returns the paths. */
export async function writeCoverageFiles(result: CoverageResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const { coverage } = result;
  const files: Array<[string, unknown[]]> = [
    [
      'coverage.geojson',
      [
        ...polygonFeatures(result.boundary, () => ({ part: 'boundary', kind: coverage.boundary.kind, areaM2: coverage.boundary.areaM2 })),
        ...polygonFeatures(result.covered, () => ({ part: 'covered', coveredShare: coverage.coveredShare, coveredHa: coverage.coveredHa })),
      ],
    ],
    ['gaps.geojson', polygonFeatures(coverage.gaps.geometry, (i) => ({ gap: i + 1 }))],
    [
      'lines.geojson',
      coverage.lines.lines.map((geometry, i) => ({ type: 'Feature', properties: { line: i + 1, headingDeg: coverage.lines.headingDeg }, geometry })),
    ],
  ];
  const written: string[] = [];
  for (const [name, features] of files) {
    await writeFile(join(dir, name), collection(features));
    written.push(join(dir, name));
  }
  return written;
}
