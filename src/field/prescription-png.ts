// The operator's preview of a prescription: a north-up PNG (sharp), cells coloured by rate on a yellow-to-red ramp,
// unseen cells hatched grey over their rate, thin cell edges, and a legend of the rates under the map.
import sharp from 'sharp';
import { fromGrid, toGrid } from '../geo/grid-frame.js';
import { cellIndex, cellIndexAt, type PrescriptionGrid } from './prescription-grid.js';

/** The longer side of the map, pixels (a 5 m grid over 400 m is then 4 px per metre). */
const MAP_PX = 1200;
const LEGEND_ROW_PX = 22;
const LOW: [number, number, number] = [255, 247, 188];
const HIGH: [number, number, number] = [189, 0, 38];

function colourOf(rate: number, maxRate: number): [number, number, number] {
  const t = maxRate > 0 ? rate / maxRate : 0;
  return [0, 1, 2].map((k) => Math.round((LOW[k] as number) + ((HIGH[k] as number) - (LOW[k] as number)) * t)) as [number, number, number];
}

/** The field's box in the zone (easting, northing), from its corners in grid coordinates. */
function utmBox(grid: PrescriptionGrid): [number, number, number, number] {
  const corners = grid.field.flat(2).map(([u, v]) => fromGrid(grid.frame, u, v));
  const es = corners.map((p) => p[0]);
  const ns = corners.map((p) => p[1]);
  return [Math.min(...es), Math.min(...ns), Math.max(...es), Math.max(...ns)];
}

function legendSvg(rates: readonly number[], maxRate: number, unit: string, width: number): Buffer {
  const distinct = [...new Set(rates)].sort((a, b) => a - b);
  const rows = distinct.map((r, i) => {
    const [cr, cg, cb] = colourOf(r, maxRate);
    const y = i * LEGEND_ROW_PX + 4;
    return `<rect x="8" y="${y}" width="28" height="16" fill="rgb(${cr},${cg},${cb})" stroke="#333"/><text x="44" y="${y + 13}" font-family="sans-serif" font-size="13">${r} ${unit}</text>`;
  });
  const y = distinct.length * LEGEND_ROW_PX + 4;
  const hatch = `<rect x="8" y="${y}" width="28" height="16" fill="#ccc" stroke="#333"/><line x1="8" y1="${y + 16}" x2="24" y2="${y}" stroke="#555" stroke-width="2"/><text x="44" y="${y + 13}" font-family="sans-serif" font-size="13">hatched: unseen (no footprint covered it)</text>`;
  const height = (distinct.length + 1) * LEGEND_ROW_PX + 8;
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${rows.join('')}${hatch}</svg>`,
  );
}

export async function renderPreview(grid: PrescriptionGrid, rates: readonly number[], unit: string): Promise<Buffer> {
  const [e0, n0, e1, n1] = utmBox(grid);
  const scale = MAP_PX / Math.max(e1 - e0, n1 - n0, 1);
  const [width, height] = [Math.max(1, Math.ceil((e1 - e0) * scale)), Math.max(1, Math.ceil((n1 - n0) * scale))];
  const index = cellIndex(grid);
  const maxRate = Math.max(0, ...rates);
  const edgeM = 1 / scale;
  const pixels = Buffer.alloc(width * height * 3, 255);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      const [u, v] = toGrid(grid.frame, e0 + (px + 0.5) / scale, n1 - (py + 0.5) / scale);
      const i = cellIndexAt(grid, index, u, v);
      const cell = i === undefined ? undefined : grid.cells[i];
      if (!cell) continue;
      let rgb = colourOf(rates[i as number] as number, maxRate);
      // Hatching keeps the unseen rate's colour visible while saying nobody looked there.
      if (!cell.seen && (px + py) % 8 < 2) rgb = [110, 110, 110];
      else if (!cell.seen) rgb = rgb.map((c) => Math.round(c * 0.55 + 200 * 0.45)) as typeof rgb;
      const [fu, fv] = [u - Math.floor(u / grid.cellM) * grid.cellM, v - Math.floor(v / grid.cellM) * grid.cellM];
      if (fu < edgeM || fv < edgeM) rgb = rgb.map((c) => Math.round(c * 0.7)) as typeof rgb;
      pixels.set(rgb, (py * width + px) * 3);
    }
  }
  const map = sharp(pixels, { raw: { width, height, channels: 3 } });
  const legend = legendSvg(rates, maxRate, unit, width);
  const legendHeight = (await sharp(legend).metadata()).height ?? 0;
  return map
    .extend({ bottom: legendHeight, background: '#ffffff' })
    .composite([{ input: legend, top: height, left: 0 }])
    .png()
    .toBuffer();
}
