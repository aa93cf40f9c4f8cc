// The one boundary reader of prescribe and coverage: a field with a hole written by GDAL (ogr2ogr) as a shapefile in
// WGS84, in UTM (reprojected back with proj4), zipped, and as KML reads back as the GeoJSON it came from; shapefiles
// whose coordinates cannot be placed honestly are refused with the file's name and the ogr2ogr line that fixes them.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFieldBoundary } from '../../src/field/field-boundary.js';

const run = promisify(execFile);
let work: string;

// A 137 x 111 m field near the simulator's origin with a pond cut out of it.
const OUTER: Array<[number, number]> = [
  [0.1, 52.2],
  [0.102, 52.2],
  [0.102, 52.201],
  [0.1, 52.201],
  [0.1, 52.2],
];
const POND: Array<[number, number]> = [
  [0.1005, 52.2002],
  [0.1006, 52.2002],
  [0.1006, 52.2004],
  [0.1005, 52.2002],
];

/** Every ring's positions, sorted (on a 1e-6 degree grid, so reprojection noise does not reorder them): a writer's ring start and winding do not matter. */
function sortedRings(polygons: Array<Array<Array<[number, number]>>>): Array<Array<[number, number]>> {
  const r = (v: number) => Math.round(v * 1e6);
  return polygons.flat().map((ring) => [...ring].sort((a, b) => r(a[0]) - r(b[0]) || r(a[1]) - r(b[1])));
}

function expectSameField(polygons: Array<Array<Array<[number, number]>>>, digits: number): void {
  expect(polygons).toHaveLength(1);
  const [outer, pond] = sortedRings(polygons);
  const [wantOuter, wantPond] = sortedRings([[OUTER, POND]]);
  expect(outer).toHaveLength(5);
  expect(pond).toHaveLength(4);
  outer!.forEach((p, i) => [0, 1].forEach((k) => expect(p[k]).toBeCloseTo(wantOuter![i]![k]!, digits)));
  pond!.forEach((p, i) => [0, 1].forEach((k) => expect(p[k]).toBeCloseTo(wantPond![i]![k]!, digits)));
}

async function ogr2ogr(args: string[]): Promise<void> {
  await run('ogr2ogr', args);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-boundary-'));
  const geojson = join(work, 'field.geojson');
  writeFileSync(geojson, JSON.stringify({ type: 'Feature', properties: { name: 'home' }, geometry: { type: 'Polygon', coordinates: [OUTER, POND] } }));
  await ogr2ogr(['-f', 'ESRI Shapefile', join(work, 'wgs84.shp'), geojson]);
  await ogr2ogr(['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:32631', join(work, 'utm.shp'), geojson]);
  await ogr2ogr(['-f', 'KML', join(work, 'field.kml'), geojson]);
  // GDAL writes a zipped shapefile itself when the name ends in .shp.zip.
  await ogr2ogr(['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:32631', join(work, 'utm.shp.zip'), geojson]);
  // The UTM shapefile without its .prj, and with a .prj proj4 does not know.
  for (const stem of ['noprj', 'badprj']) for (const ext of ['shp', 'shx', 'dbf']) copyFileSync(join(work, `utm.${ext}`), join(work, `${stem}.${ext}`));
  writeFileSync(join(work, 'badprj.prj'), 'LOCAL_CS["farm grid, metres from the gate"]');
  writeFileSync(join(work, 'notashapefile.zip'), 'PK but not really a zip');
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('readFieldBoundary', () => {
  it('reads a WGS84 shapefile GDAL wrote: the outer ring and the hole', async () => {
    const b = await readFieldBoundary(join(work, 'wgs84.shp'));
    expect(b.name).toBe('wgs84.shp');
    expectSameField(b.polygons, 9);
  });

  it('reprojects a UTM shapefile (.shp with .prj, and zipped) to longitude/latitude', async () => {
    // 1e-7 degrees is about a centimetre: the UTM round trip through GDAL and proj4.
    expectSameField((await readFieldBoundary(join(work, 'utm.shp'))).polygons, 7);
    const zipped = await readFieldBoundary(join(work, 'utm.shp.zip'));
    expect(zipped.name).toBe('utm.shp.zip');
    expectSameField(zipped.polygons, 7);
  });

  it('reads the KML GDAL wrote, the same field', async () => {
    expectSameField((await readFieldBoundary(join(work, 'field.kml'))).polygons, 9);
  });

  it('refuses projected coordinates without a .prj, a .prj proj4 cannot read, and a file that is not a zip', async () => {
    await expect(readFieldBoundary(join(work, 'noprj.shp'))).rejects.toThrow(
      /noprj\.shp: its coordinates are not longitude\/latitude and no \.prj says what they are; reproject it to WGS84 first, e\.g\. ogr2ogr -t_srs EPSG:4326/,
    );
    await expect(readFieldBoundary(join(work, 'badprj.shp'))).rejects.toThrow(/badprj\.shp: its \.prj is a coordinate system proj4 cannot read; reproject it/);
    await expect(readFieldBoundary(join(work, 'notashapefile.zip'))).rejects.toThrow(/notashapefile\.zip: not a zip file/);
    await expect(readFieldBoundary(join(work, 'missing.shp'))).rejects.toThrow(/missing\.shp: no such file/);
  });
});
