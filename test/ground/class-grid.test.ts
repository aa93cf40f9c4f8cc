// The class map's grid: square cells of the asked size on a worldwide grid, majority class with its share and score.
import { describe, expect, test } from 'vitest';
import { cellOf, classCells } from '../../src/ground/class-grid.js';

describe('classCells', () => {
  test('cells are about cellM metres on a side at any latitude, and the same for every flight', () => {
    for (const lat of [0, 41.03, 60, -45]) {
      const { dLat, dLon } = cellOf(lat, 10, 10);
      const northSouthM = dLat * 111_320;
      const eastWestM = dLon * 111_320 * Math.cos((lat * Math.PI) / 180);
      expect(northSouthM).toBeCloseTo(10, 6);
      expect(eastWestM).toBeGreaterThan(9.99);
      expect(eastWestM).toBeLessThan(10.01);
    }
    expect(cellOf(41.03412, -83.30521, 10)).toEqual(cellOf(41.03413, -83.305205, 10));
  });

  test('the majority class wins; a tie goes to the higher mean score', () => {
    const at = (label: string, score: number) => ({ latDeg: 41.034, lonDeg: -83.305, label, score });
    const [cell] = classCells([at('weeds', 0.6), at('crop', 0.9), at('weeds', 0.7), at('crop', 0.5), at('crop', 0.7)], 10);
    expect(cell).toMatchObject({ label: 'crop', results: 5, share: 0.6 });
    expect(cell?.meanScore).toBeCloseTo(0.7, 12);
    const [tie] = classCells([at('weeds', 0.6), at('crop', 0.9)], 10);
    expect(tie?.label).toBe('crop');
    expect(tie?.polygon.type).toBe('Polygon');
  });
});
