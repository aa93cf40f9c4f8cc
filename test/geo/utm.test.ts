// The class map's UTM projection and cell clipping, against PROJ's figures (PostGIS 3.3 / PROJ 9.1 ST_Transform) and
// areas worked out by hand.
import { expect, test } from 'vitest';
import { CellAccumulator, clippedArea } from '../../src/geo/class-map-cells.js';
import { fromUtm, toUtm, utmZoneOf } from '../../src/geo/utm.js';

/** lon, lat, EPSG, easting, northing as `ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), epsg)` gives them. */
const PROJ: Array<[number, number, number, number, number]> = [
  [3.0, 48.0, 32631, 500000.00000000064, 5316300.224451495],
  [5.9, 48.5, 32631, 714217.2998653273, 5375937.493963786],
  [0.1, 60.0, 32631, 338279.249108125, 6654956.71994362],
  [-83.3052, 41.0349, 32617, 306224.1335875399, 4545191.239420742],
  [-80.5, -33.2, 32717, 546602.4900102405, 6326429.336750377],
  [179.9, 10.0, 32660, 817955.4276942052, 1106810.6571218483],
];

test('toUtm agrees with PROJ to a micrometre, and fromUtm undoes it', () => {
  for (const [lon, lat, epsg, e, n] of PROJ) {
    const zone = utmZoneOf(lon, lat);
    expect(zone.epsg).toBe(epsg);
    const [x, y] = toUtm(zone, lon, lat);
    expect(Math.abs(x - e) + Math.abs(y - n)).toBeLessThan(1e-6);
    const [lon2, lat2] = fromUtm(zone, x, y);
    expect(Math.abs(lon2 - lon) + Math.abs(lat2 - lat)).toBeLessThan(1e-12);
  }
  expect(utmZoneOf(180, 1).zone).toBe(1); // 180°E is 180°W
  expect(utmZoneOf(179.999, -1).epsg).toBe(32760);
});

test('clippedArea: squares, triangles and a ring outside the cell', () => {
  expect(
    clippedArea(
      [
        [5, 5],
        [15, 5],
        [15, 25],
        [5, 25],
      ],
      10,
    ),
  ).toBeCloseTo(25, 12);
  expect(
    clippedArea(
      [
        [10, 5],
        [15, 10],
        [10, 15],
        [5, 10],
      ],
      10,
    ),
  ).toBeCloseTo(12.5, 12); // a diamond's quarter
  expect(
    clippedArea(
      [
        [-5, -5],
        [20, -5],
        [20, 20],
        [-5, 20],
      ],
      10,
    ),
  ).toBeCloseTo(100, 12); // covers it all
  expect(
    clippedArea(
      [
        [11, 0],
        [20, 0],
        [20, 10],
      ],
      10,
    ),
  ).toBe(0);
});

test('CellAccumulator: a footprint straddling four cells is split by area, and a cell edge leaves no sliver', () => {
  const zone = utmZoneOf(3, 48);
  const square = (x0: number, y0: number, size: number) =>
    [
      [x0, y0],
      [x0 + size, y0],
      [x0 + size, y0 + size],
      [x0, y0 + size],
      [x0, y0],
    ].map(([x, y]) => fromUtm(zone, 500_000 + x!, 5_300_000 + y!));
  const acc = new CellAccumulator(zone, 10);
  acc.add(square(5, 5, 10), 'weeds', 1);
  acc.add(square(0, 0, 10), 'crop', 0.5); // exactly one cell: rounding at its edges must not reach the neighbours
  const cells = acc.cells();
  expect(cells.map((c) => [c.row - 530_000, c.col - 50_000, c.footprints])).toEqual([
    [0, 0, 2],
    [0, 1, 1],
    [1, 0, 1],
    [1, 1, 1],
  ]);
  expect(cells[0]).toMatchObject({ majorityLabel: 'crop', footprints: 2 });
  expect(cells[0]!.majorityShare).toBeCloseTo(0.8, 9);
  expect(cells[0]!.meanScore).toBeCloseTo((100 * 0.5 + 25 * 1) / 125, 9);
  expect(cells[0]!.shares).toEqual([
    ['crop', expect.closeTo(0.8, 9)],
    ['weeds', expect.closeTo(0.2, 9)],
  ]);
});
