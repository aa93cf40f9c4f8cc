// The prescription's arithmetic without files: the rotated grid frame and main course, the rotated class-map cells
// (area kept), and the rules' buffer and small-zone merging on hand-made grids.
import { describe, expect, it } from 'vitest';
import { fromGrid, mainCourseDeg, toGrid, type GridFrame } from '../../src/geo/grid-frame.js';
import { CellAccumulator } from '../../src/geo/class-map-cells.js';
import { fromUtm, utmZoneOf } from '../../src/geo/utm.js';
import type { GridCell } from '../../src/field/prescription-grid.js';
import { applyRules } from '../../src/field/prescription-rates.js';
import { parseRules } from '../../src/field/prescription-rules.js';

function cells(rows: string[]): GridCell[] {
  // '#' = weeds everywhere, '.' = crop, ' ' = unseen; row 0 is the first string.
  return rows.flatMap((line, row) =>
    [...line].map((ch, col): GridCell => ({
      row,
      col,
      seen: ch !== ' ',
      frames: ch === ' ' ? 0 : 1,
      majorityLabel: ch === '#' ? 'weeds' : ch === '.' ? 'crop' : null,
      majorityShare: ch === ' ' ? null : 1,
      shares: new Map(ch === '#' ? [['weeds', 1]] : ch === '.' ? [['crop', 1]] : []),
      meanScore: 0.9,
      areaM2: 25,
      pieces: [],
    })),
  );
}

const rules = (extra: Record<string, unknown>) =>
  parseRules({ product: 'x', unit: 'L/ha', rules: [{ when: { class: 'weeds', shareAtLeast: 0.5 }, rate: 100 }], otherwise: 0, unseen: 50, ...extra }, 't.yaml');

const grid = (rows: string[], rates: number[]) => rows.map((line, r) => [...line].map((_, c) => rates[r * line.length + c]).join(','));

describe('grid frame', () => {
  it('round-trips and turns: the v axis runs along the azimuth', () => {
    const f: GridFrame = { originE: 500_000, originN: 5_780_000, azimuthRad: (30 * Math.PI) / 180 };
    const [e, n] = fromGrid(f, 0, 10);
    expect(e - f.originE).toBeCloseTo(5, 9);
    expect(n - f.originN).toBeCloseTo(10 * Math.cos(Math.PI / 6), 9);
    const [u, v] = toGrid(f, e, n);
    expect(u).toBeCloseTo(0, 9);
    expect(v).toBeCloseTo(10, 9);
  });

  it('takes the main course of a lawnmower (lines east and back west) as 90°, folding opposite directions', () => {
    const track: Array<[number, number]> = [];
    for (let line = 0; line < 4; line++) for (let i = 0; i <= 20; i++) track.push([line % 2 === 0 ? i * 5 : 100 - i * 5, line * 20]);
    expect(mainCourseDeg(track, 30)).toBeCloseTo(90, 6);
    expect(
      mainCourseDeg([
        [0, 0],
        [1, 1],
      ]),
    ).toBeCloseTo(45, 9);
    expect(
      mainCourseDeg([
        [0, 0],
        [0, 0],
      ]),
    ).toBeNull();
  });

  it('a rotated class map keeps every square metre of a footprint', () => {
    const zone = utmZoneOf(0.1, 52.2);
    const frame: GridFrame = { originE: 300_000, originN: 5_786_000, azimuthRad: 0.4 };
    const acc = new CellAccumulator(zone, 5, frame);
    // A 20 x 10 m rectangle in the zone, as lon/lat.
    const ring = [
      [300_003, 5_786_002],
      [300_023, 5_786_002],
      [300_023, 5_786_012],
      [300_003, 5_786_012],
      [300_003, 5_786_002],
    ].map(([e, n]) => fromUtm(zone, e as number, n as number));
    acc.add(ring, 'weeds', 0.8);
    const total = acc.cells().reduce((s, c) => s + c.coveredM2, 0);
    expect(total).toBeCloseTo(200, 6);
  });
});

describe('rates', () => {
  const field = ['.....', '..#..', '.....', '.. ..'];

  it('gives rule, otherwise and unseen rates; the buffer raises the triggering cell’s neighbours (diagonals too)', () => {
    expect(grid(field, applyRules(cells(field), rules({})).rates)).toEqual(['0,0,0,0,0', '0,0,100,0,0', '0,0,0,0,0', '0,0,50,0,0']);
    const buffered = applyRules(cells(field), rules({ bufferCells: 1 }));
    expect(grid(field, buffered.rates)).toEqual(['0,100,100,100,0', '0,100,100,100,0', '0,100,100,100,0', '0,0,50,0,0']);
    expect(buffered).toMatchObject({ triggered: 1, buffered: 8 });
  });

  it('merges zones under minZoneCells into the rate around them, and leaves big zones alone', () => {
    const merged = applyRules(cells(field), rules({ minZoneCells: 2 }));
    expect(grid(field, merged.rates)).toEqual(['0,0,0,0,0', '0,0,0,0,0', '0,0,0,0,0', '0,0,0,0,0']);
    expect(merged.merged).toBe(2);
    const patch = ['.....', '.##..', '.##..', '.....'];
    expect(grid(patch, applyRules(cells(patch), rules({ minZoneCells: 4 })).rates)).toEqual(['0,0,0,0,0', '0,100,100,0,0', '0,100,100,0,0', '0,0,0,0,0']);
  });
});
