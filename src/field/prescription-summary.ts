// The prescription in numbers (summary.json and the printed lines): area per rate, total product, what was unseen,
// and how the grid was laid (zone, heading, cell size, field), so a reader can check it before loading the terminal.
import type { PrescriptionGrid } from './prescription-grid.js';
import type { RatedGrid } from './prescription-rates.js';
import type { PrescriptionRules } from './prescription-rules.js';

export interface PrescriptionSummary {
  product: string;
  unit: string;
  cellM: number;
  headingDeg: number;
  headingFrom: 'option' | 'track';
  utmEpsg: number;
  field: 'boundary' | 'footprints';
  fieldHa: number;
  cells: number;
  seenCells: number;
  unseenCells: number;
  unseenHa: number;
  footprints: number;
  triggeredCells: number;
  bufferedCells: number;
  mergedCells: number;
  /** One row per rate, ascending. */
  byRate: Array<{ rate: number; cells: number; ha: number; product: number }>;
  /** Σ rate × area in the rate's unit times ha (L or kg). */
  totalProduct: number;
  isoxml: { columns: number; rows: number; cellWidthDeg: number; cellHeightDeg: number; ddi: string };
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

export function summarize(grid: PrescriptionGrid, rated: RatedGrid, rules: PrescriptionRules, isoxml: PrescriptionSummary['isoxml']): PrescriptionSummary {
  const byRate = new Map<number, { cells: number; m2: number }>();
  grid.cells.forEach((cell, i) => {
    const rate = rated.rates[i] as number;
    const row = byRate.get(rate) ?? { cells: 0, m2: 0 };
    row.cells += 1;
    row.m2 += cell.areaM2;
    byRate.set(rate, row);
  });
  const rows = [...byRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, { cells, m2 }]) => ({ rate, cells, ha: r4(m2 / 1e4), product: r4((rate * m2) / 1e4) }));
  const unseen = grid.cells.filter((c) => !c.seen);
  return {
    product: rules.product,
    unit: rules.unit,
    cellM: grid.cellM,
    headingDeg: Math.round(grid.headingDeg * 100) / 100,
    headingFrom: grid.headingFrom,
    utmEpsg: grid.zone.epsg,
    field: grid.fieldFrom,
    fieldHa: r4(grid.cells.reduce((s, c) => s + c.areaM2, 0) / 1e4),
    cells: grid.cells.length,
    seenCells: grid.cells.length - unseen.length,
    unseenCells: unseen.length,
    unseenHa: r4(unseen.reduce((s, c) => s + c.areaM2, 0) / 1e4),
    footprints: grid.footprints,
    triggeredCells: rated.triggered,
    bufferedCells: rated.buffered,
    mergedCells: rated.merged,
    byRate: rows,
    totalProduct: r4(rows.reduce((s, r) => s + r.product, 0)),
    isoxml,
  };
}

export function summaryText(s: PrescriptionSummary, out: string): string {
  const amount = s.unit.split('/')[0] ?? s.unit;
  const lines = [
    `prescription of ${s.product} in ${s.unit}: ${s.cells} cells of ${s.cellM} m over ${s.fieldHa} ha (${s.field === 'boundary' ? 'the field boundary' : 'the footprints’ convex hull, no --boundary'}), heading ${s.headingDeg}° (${s.headingFrom === 'option' ? '--heading' : 'the track'}), EPSG:${s.utmEpsg}`,
    `  from ${s.footprints} footprints: ${s.seenCells} cells seen, ${s.unseenCells} unseen (${s.unseenHa} ha, given the unseen rate)`,
    `  rules matched ${s.triggeredCells} cells; buffer raised ${s.bufferedCells}; small zones merged ${s.mergedCells}`,
    ...s.byRate.map((r) => `  ${String(r.rate).padStart(8)} ${s.unit}: ${r.ha.toFixed(4)} ha (${r.cells} cells) -> ${r.product} ${amount}`),
    `  total ${s.totalProduct} ${amount} of ${s.product}`,
    `  wrote ${out}/prescription.zip, ${out}/TASKDATA/TASKDATA.XML (ISOXML grid ${s.isoxml.columns}x${s.isoxml.rows}, sampled at its cell centres), ${out}/prescription.png, ${out}/summary.json`,
  ];
  return `${lines.join('\n')}\n`;
}
