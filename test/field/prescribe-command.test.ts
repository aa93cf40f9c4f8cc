// `fieldeye prescribe` end to end: a simulated flight replayed through the demo model, then prescribed; GDAL reads
// the shapefile, the isoxml library reads the task back cell by cell, the rate map agrees with the simulator's truth,
// rule mistakes name their key, and a boundary (GeoJSON, KML or a shapefile) clips the cells and goes into the task.
import { mkdtempSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PolygonPolygonTypeEnum, LineStringLineStringTypeEnum } from 'isoxml';
import { beforeAll, describe, expect, it } from 'vitest';
import { toUtm, utmZoneOf } from '../../src/geo/utm.js';
import { metresPerDegree } from '../../src/geo/local-metres.js';
import { SIMULATED_ORIGIN } from '../../src/sim/simulator.js';
import { createField } from '../../src/sim/simulator-field.js';
import type { PrescriptionSummary } from '../../src/field/prescription-summary.js';
import { readResults } from '../../src/flight/flight-reader.js';
import { GeoPackageGroundStore } from '../../src/ground/geopackage-store.js';
import { runCli } from '../support/run-cli.js';
import {
  exists,
  ogrSummary,
  pointInRings,
  readTaskData,
  shapefileFeatures,
  SIM,
  simulatedResults,
  trueShare,
  unzipInto,
  type ShpFeature,
} from './prescribe-support.js';

const RULES = `product: herbicide
unit: L/ha
rules:
  - when: { class: weeds, shareAtLeast: 0.15 }
    rate: 120
otherwise: 0
unseen: 60
`;
/**
 * The truth test's bars, measured on this flight (seed 7, 150x100 m at 20 m, demo model, 5 m cells, no buffer or
 * merging): 92.0 % of seen cells agree (treating nothing would agree on 75.7 %), 87.9 % of weed cells are treated.
 */
const MIN_AGREEMENT = 0.9;
const MIN_WEEDS_TREATED = 0.85;

let work: string;
let results: string;

async function prescribe(
  name: string,
  rules: string,
  extra: string[] = [],
): Promise<{ out: string; summary: PrescriptionSummary; features: ShpFeature[]; stdout: string }> {
  const out = join(work, name);
  const rulesPath = join(work, `${name}.yaml`);
  await writeFile(rulesPath, rules);
  const run = await runCli(['prescribe', results, '--rules', rulesPath, '--out', out, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  await unzipInto(join(out, 'prescription.zip'), join(out, 'shp'));
  const features = await shapefileFeatures(join(out, 'shp', 'prescription.shp'));
  const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as PrescriptionSummary;
  return { out, summary, features, stdout: run.stdout };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-prescribe-'));
  ({ results } = await simulatedResults(work));
}, 600_000);

describe('fieldeye prescribe', () => {
  it('writes a shapefile GDAL reads as Polygons with RATE, CLASS, SHARE, SEEN, FRAMES, one per cell, in EPSG:4326', async () => {
    const { out, summary, features, stdout } = await prescribe('plain', `${RULES}bufferCells: 1\nminZoneCells: 4\n`);
    const ogr = await ogrSummary(join(out, 'shp', 'prescription.shp'));
    expect(ogr.geometry).toBe('Polygon');
    expect(ogr.epsg).toBe(4326);
    expect(ogr.fields.map((f) => f.name)).toEqual(['RATE', 'CLASS', 'SHARE', 'SEEN', 'FRAMES', 'CONF']);
    expect(ogr.fields.find((f) => f.name === 'CLASS')?.type).toBe('String');
    expect(ogr.fields.find((f) => f.name === 'RATE')?.type).toBe('Real');
    // Without a boundary the field is the footprints' convex hull: no cell is cut in two, one feature per cell.
    expect(ogr.features).toBe(summary.cells);
    expect(features).toHaveLength(summary.cells);
    expect(summary.cells).toBeGreaterThan(300);
    expect(new Set(features.map((f) => f.properties.RATE))).toEqual(new Set(summary.byRate.map((r) => r.rate)));
    for (const f of features) {
      expect(f.properties.SEEN === 1).toBe(f.properties.CLASS !== 'unseen');
      if (f.properties.SEEN === 0) expect(f.properties.FRAMES).toBe(0);
    }
    // The summary adds up: area per rate, total product = Σ rate x area.
    const total = summary.byRate.reduce((s, r) => s + r.rate * r.ha, 0);
    expect(summary.totalProduct).toBeCloseTo(total, 2);
    expect(summary.byRate.reduce((s, r) => s + r.ha, 0)).toBeCloseTo(summary.fieldHa, 3);
    expect(summary.headingFrom).toBe('track');
    // The simulator flies east-west lines.
    expect(Math.abs(summary.headingDeg - 90)).toBeLessThan(3);
    expect(stdout).toMatch(/total [\d.]+ L of herbicide/);
    expect(exists(join(out, 'prescription.png'))).toBe(true);
  });

  it('writes an ISOXML task the isoxml library reads back: its grid holds the shapefile rate at every grid cell centre', async () => {
    const { out, features } = await prescribe('isoxml', `${RULES}bufferCells: 1\nminZoneCells: 4\n`);
    const { task, grid, values, warnings } = await readTaskData(out);
    expect(warnings).toEqual([]);
    const a = grid.attributes;
    expect(a.GridType).toBe('2');
    expect(values).toHaveLength(a.GridMaximumColumn * a.GridMaximumRow);
    const zones = task.attributes.TreatmentZone ?? [];
    const gridZone = zones.find((z) => z.attributes.TreatmentZoneCode === a.TreatmentZoneCode);
    expect(gridZone?.attributes.ProcessDataVariable?.[0]?.attributes.ProcessDataDDI).toBe('0001');
    let checked = 0;
    let inside = 0;
    for (let y = 0; y < a.GridMaximumRow; y++) {
      for (let x = 0; x < a.GridMaximumColumn; x++) {
        const centre: [number, number] = [
          a.GridMinimumEastPosition + (x + 0.5) * a.GridCellEastSize,
          a.GridMinimumNorthPosition + (y + 0.5) * a.GridCellNorthSize,
        ];
        const holder = features.find((f) => pointInRings(centre, f.geometry.coordinates));
        // L/ha in DDI 1's unit (mm³/m²): x100; outside every cell the out-of-field value 0.
        expect(values[y * a.GridMaximumColumn + x], `grid cell ${x},${y}`).toBe(holder ? Math.round(holder.properties.RATE * 100) : 0);
        checked++;
        if (holder) inside++;
      }
    }
    expect(inside).toBeGreaterThan(0.8 * checked);
    // Its cells are about the prescription's 5 m.
    const m = metresPerDegree(a.GridMinimumNorthPosition);
    expect(a.GridCellNorthSize * m.northM).toBeCloseTo(5, 3);
    expect(a.GridCellEastSize * m.eastM).toBeCloseTo(5, 3);
  });

  it("agrees with the simulator's truth: weed cells get the rate, the others do not", async () => {
    // No buffer and no zone merging here: both change rates on purpose, away from what the ground shows.
    const { features } = await prescribe('truth', `${RULES}bufferCells: 0\nminZoneCells: 1\n`);
    const field = createField({ seed: SIM.seed, widthM: SIM.widthM, heightM: SIM.heightM });
    const seen = features.filter((f) => f.properties.SEEN === 1);
    let agree = 0;
    let weedCells = 0;
    let weedTreated = 0;
    for (const f of seen) {
      const truthWeeds = trueShare(field, f, 'weeds') >= 0.15;
      const treated = f.properties.RATE > 0;
      if (truthWeeds === treated) agree++;
      if (truthWeeds) weedCells++;
      if (truthWeeds && treated) weedTreated++;
    }
    const agreement = agree / seen.length;
    console.log(
      `prescribe truth: ${seen.length} seen cells, agreement ${(agreement * 100).toFixed(1)} %, weed cells treated ${weedTreated}/${weedCells} (${((weedTreated / weedCells) * 100).toFixed(1)} %)`,
    );
    expect(weedCells).toBeGreaterThan(20);
    expect(agreement).toBeGreaterThanOrEqual(MIN_AGREEMENT);
    expect(weedTreated / weedCells).toBeGreaterThanOrEqual(MIN_WEEDS_TREATED);
  });

  it('--store: the same flight read back from the ground store gives the same prescription as its results file', async () => {
    const fromFile = await prescribe('from-file', RULES);
    const items = (await readResults(results)).items;
    const store = GeoPackageGroundStore.open(join(work, 'store', 'fieldeye.gpkg'));
    await store.write(items.map((result) => ({ kind: 'result' as const, result, topic: 'test', receivedAt: new Date().toISOString() })));
    await store.close();
    const config = join(work, 'ground.yaml');
    await writeFile(config, 'store:\n  path: store/fieldeye.gpkg\n');
    const rulesPath = join(work, 'from-store.yaml');
    await writeFile(rulesPath, RULES);
    const out = join(work, 'from-store');
    const run = await runCli(['prescribe', '--store', config, '--flight', items[0]!.flightId, '--rules', rulesPath, '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as PrescriptionSummary;
    expect(summary).toEqual(fromFile.summary);
    const unknown = await runCli(['prescribe', '--store', config, '--flight', 'nope', '--rules', rulesPath, '--out', join(work, 'nope')]);
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toMatch(/--flight: no flight "nope" in GeoPackage /);
  });

  it('names the key of each mistake in the rules file and exits 78 (a config fault)', async () => {
    const rulesPath = join(work, 'bad.yaml');
    await writeFile(rulesPath, 'product: herbicide\nunit: gallons\nrules:\n  - when: { class: weeds, shareAtLeast: 1.5 }\n    rate: -3\nbuffer: 1\n');
    const run = await runCli(['prescribe', results, '--rules', rulesPath, '--out', join(work, 'bad')]);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/bad\.yaml: unit: expected one of "L\/ha", "kg\/ha", received "gallons"/);
    expect(run.stderr).toMatch(/bad\.yaml: rules\.0\.when\.shareAtLeast: expected a share between 0 and 1, received 1\.5/);
    expect(run.stderr).toMatch(/bad\.yaml: rules\.0\.rate: expected a rate .*received -3/);
    expect(run.stderr).toMatch(/bad\.yaml: unseen: expected a rate .*received nothing \(the key is missing\)/);
    expect(run.stderr).toMatch(/bad\.yaml: buffer: unknown key; allowed keys here: product, unit, rules, otherwise, unseen, bufferCells, minZoneCells/);
    expect(exists(join(work, 'bad'))).toBe(false);
  });

  it('clips the cells to a field boundary (GeoJSON and the same polygon in KML) and turns the grid with --heading', async () => {
    // A quadrilateral over the western part of the survey with a slanted east edge, so some cells are cut.
    const m = metresPerDegree(SIMULATED_ORIGIN.latDeg);
    const at = (e: number, n: number): [number, number] => [SIMULATED_ORIGIN.lonDeg + e / m.eastM, SIMULATED_ORIGIN.latDeg + n / m.northM];
    const ring = [at(10, 10), at(80, 10), at(60, 90), at(10, 90), at(10, 10)];
    const geojson = join(work, 'field.geojson');
    await writeFile(geojson, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }));
    const kml = join(work, 'field.kml');
    const coords = ring.map(([lon, lat]) => `${lon},${lat},0`).join(' ');
    await writeFile(
      kml,
      `<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>field</name><Polygon><outerBoundaryIs><LinearRing><coordinates>${coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>`,
    );
    const rules = `${RULES}bufferCells: 1\nminZoneCells: 4\n`;
    const clipped = await prescribe('boundary', rules, ['--boundary', geojson, '--heading', '30']);
    const fromKml = await prescribe('boundary-kml', rules, ['--boundary', kml, '--heading', '30']);
    const whole = await prescribe('whole', rules, ['--heading', '30']);
    expect(clipped.summary.field).toBe('boundary');
    expect(clipped.summary.cells).toBeLessThan(whole.summary.cells);
    expect(fromKml.summary).toEqual(clipped.summary);
    // The cells fill the boundary (less edge slivers under 1 % of a cell): its area in the zone, by the shoelace.
    const zone = utmZoneOf(ring[0]![0], ring[0]![1]);
    const xy = ring.map(([lon, lat]) => toUtm(zone, lon, lat));
    const areaM2 = Math.abs(xy.slice(1).reduce((s, [x, y], i) => s + xy[i]![0] * y - x * xy[i]![1], 0)) / 2;
    expect(clipped.summary.fieldHa * 1e4).toBeGreaterThan(areaM2 * 0.995);
    expect(clipped.summary.fieldHa * 1e4).toBeLessThan(areaM2 * 1.0001);
    // No cell corner lies outside the boundary (GDAL's reading, a centimetre of tolerance).
    const tol = 0.01;
    for (const f of clipped.features) {
      for (const [lon, lat] of f.geometry.coordinates[0]!) {
        const e = (lon - SIMULATED_ORIGIN.lonDeg) * m.eastM;
        const n = (lat - SIMULATED_ORIGIN.latDeg) * m.northM;
        expect(e).toBeGreaterThan(10 - tol);
        expect(n).toBeGreaterThan(10 - tol);
        expect(n).toBeLessThan(90 + tol);
      }
    }
    // A whole cell's edges run at 30° (or 120°) from true north.
    const full = clipped.features.find((f) => f.geometry.coordinates[0]!.length === 5)!;
    const [p0, p1] = full.geometry.coordinates[0]!;
    const bearing = (Math.atan2((p1![0] - p0![0]) * m.eastM, (p1![1] - p0![1]) * m.northM) * 180) / Math.PI;
    expect(Math.min(...[30, 120, 210, 300, -60, -150].map((b) => Math.abs(bearing - b)))).toBeLessThan(0.1);
  });

  it("takes the boundary from a UTM shapefile GDAL wrote and puts it in the ISOXML task as the field's type 1 polygon", async () => {
    const m = metresPerDegree(SIMULATED_ORIGIN.latDeg);
    const at = (e: number, n: number): [number, number] => [SIMULATED_ORIGIN.lonDeg + e / m.eastM, SIMULATED_ORIGIN.latDeg + n / m.northM];
    const ring = [at(20, 15), at(130, 15), at(130, 85), at(20, 85), at(20, 15)];
    const geojson = join(work, 'pfd.geojson');
    await writeFile(geojson, JSON.stringify({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }));
    // In metres (UTM 31N) with its .prj, zipped by GDAL: the reader reprojects it back to longitude/latitude.
    const shpZip = join(work, 'pfd.shp.zip');
    await promisify(execFile)('ogr2ogr', ['-f', 'ESRI Shapefile', '-t_srs', 'EPSG:32631', shpZip, geojson]);
    const rules = `${RULES}bufferCells: 0\nminZoneCells: 1\n`;
    const fromShp = await prescribe('pfd-shp', rules, ['--boundary', shpZip, '--heading', '0']);
    const fromGeojson = await prescribe('pfd-geojson', rules, ['--boundary', geojson, '--heading', '0']);
    expect(fromShp.summary.cells).toBe(fromGeojson.summary.cells);
    expect(fromShp.summary.fieldHa).toBeCloseTo(fromGeojson.summary.fieldHa, 4);
    const iso = await readTaskData(fromShp.out);
    expect(iso.warnings).toEqual([]);
    expect(iso.partfields).toHaveLength(1);
    const pfd = iso.partfields[0]!;
    expect(iso.task.attributes.PartfieldIdRef?.xmlId).toBe(iso.task.isoxmlManager.getReferenceByEntity(pfd).xmlId);
    // 110 x 70 m, as the library measures it.
    expect(pfd.attributes.PartfieldArea).toBeGreaterThan(7700 * 0.99);
    expect(pfd.attributes.PartfieldArea).toBeLessThan(7700 * 1.01);
    const [pln] = pfd.attributes.PolygonnonTreatmentZoneonly ?? [];
    expect(pln?.attributes.PolygonType).toBe(PolygonPolygonTypeEnum.PartfieldBoundary);
    const [lsg] = pln!.attributes.LineString ?? [];
    expect(lsg?.attributes.LineStringType).toBe(LineStringLineStringTypeEnum.PolygonExterior);
    const points = (lsg!.attributes.Point ?? []).map((p) => [p.attributes.PointEast, p.attributes.PointNorth] as [number, number]);
    expect(points).toHaveLength(5);
    // Every corner of the field, to a centimetre (the shapefile's UTM round trip; ISOXML keeps 9 decimals).
    for (const corner of ring) {
      const nearest = Math.min(...points.map(([lon, lat]) => Math.hypot((lon - corner[0]) * m.eastM, (lat - corner[1]) * m.northM)));
      expect(nearest).toBeLessThan(0.01);
    }
    // Without a boundary there is no field in the task.
    expect((await readTaskData(fromGeojson.out)).partfields).toHaveLength(1);
    expect((await readTaskData((await prescribe('pfd-none', rules, ['--heading', '0'])).out)).partfields).toHaveLength(0);
  });
});
