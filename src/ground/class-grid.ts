// The class map: results binned into square cells of a fixed worldwide grid (so cells of different flights over the
// same field coincide), each cell with its majority top-1 class, how many results and how sure.
import type { SimpleGeometry } from './wkb.js';

/** Metres per degree of latitude (WGS 84 mean); cells are square to within the spherical approximation. */
const M_PER_DEG = 111_320;

export interface ClassPoint {
  latDeg: number;
  lonDeg: number;
  label: string;
  score: number;
}

export interface ClassCell {
  row: number;
  col: number;
  /** The majority top-1 label (ties: higher mean score, then alphabetical). */
  label: string;
  results: number;
  /** Share of the cell's results with that label, 0..1. */
  share: number;
  /** Mean top-1 score of the results with that label. */
  meanScore: number;
  polygon: SimpleGeometry;
}

/** Row and column of the cell holding a point; the column width is set by the row's centre latitude. */
export function cellOf(latDeg: number, lonDeg: number, cellM: number): { row: number; col: number; dLat: number; dLon: number } {
  const dLat = cellM / M_PER_DEG;
  const row = Math.floor(latDeg / dLat);
  const centre = ((row + 0.5) * dLat * Math.PI) / 180;
  const dLon = cellM / (M_PER_DEG * Math.max(Math.cos(centre), 1e-6));
  return { row, col: Math.floor(lonDeg / dLon), dLat, dLon };
}

export function classCells(points: readonly ClassPoint[], cellM: number): ClassCell[] {
  const cells = new Map<string, { row: number; col: number; dLat: number; dLon: number; labels: Map<string, { n: number; score: number }>; n: number }>();
  for (const p of points) {
    const c = cellOf(p.latDeg, p.lonDeg, cellM);
    const key = `${c.row}:${c.col}`;
    const cell = cells.get(key) ?? { ...c, labels: new Map(), n: 0 };
    const tally = cell.labels.get(p.label) ?? { n: 0, score: 0 };
    tally.n += 1;
    tally.score += p.score;
    cell.labels.set(p.label, tally);
    cell.n += 1;
    cells.set(key, cell);
  }
  return [...cells.values()].map(({ row, col, dLat, dLon, labels, n }) => {
    const [label, tally] = [...labels.entries()].sort(([la, a], [lb, b]) => b.n - a.n || b.score / b.n - a.score / a.n || (la < lb ? -1 : 1))[0] as [
      string,
      { n: number; score: number },
    ];
    const [x0, y0, x1, y1] = [col * dLon, row * dLat, (col + 1) * dLon, (row + 1) * dLat];
    return {
      row,
      col,
      label,
      results: n,
      share: tally.n / n,
      meanScore: tally.score / tally.n,
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [x0, y0],
            [x1, y0],
            [x1, y1],
            [x0, y1],
            [x0, y0],
          ],
        ],
      },
    };
  });
}
