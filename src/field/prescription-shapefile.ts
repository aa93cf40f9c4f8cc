// The prescription as map features (one Polygon per cell piece, EPSG:4326) and as the zipped ESRI shapefile most
// sprayer and spreader terminals import, written by @mapbox/shp-write (attributes RATE, CLASS, SHARE, SEEN, FRAMES, CONF).
import { zip } from '@mapbox/shp-write';
import type { Pair, Ring } from 'polygon-clipping';
import { fromGrid } from '../geo/grid-frame.js';
import { fromUtm } from '../geo/utm.js';
import { ringArea } from './coverage-geometry.js';
import type { PrescriptionGrid } from './prescription-grid.js';

export interface CellProperties {
  RATE: number;
  /** The majority top-1 class, or "unseen". */
  CLASS: string;
  /** That class's share of the cell's imaged area (0 when unseen). */
  SHARE: number;
  SEEN: 0 | 1;
  FRAMES: number;
  /** Mean top-1 score over the footprints, area-weighted (0 when unseen). */
  CONF: number;
}

export interface CellFeature {
  type: 'Feature';
  properties: CellProperties;
  geometry: { type: 'Polygon'; coordinates: Pair[][] };
}

/** dbf numbers are written as text into 18 characters: round so a float's tail is not cut off mid-digit. */
const round3 = (v: number) => Math.round(v * 1000) / 1000;

function signedArea(ring: Ring): number {
  let twice = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x, y] = ring[i] as Pair;
    const [nx, ny] = ring[(i + 1) % ring.length] as Pair;
    twice += x * ny - nx * y;
  }
  return twice / 2;
}

/** ESRI's order: outer rings clockwise, holes counter-clockwise (GeoJSON's is the reverse). */
function esriOrder(ring: Ring, outer: boolean): Ring {
  const clockwise = signedArea(ring) < 0;
  return clockwise === outer ? ring : [...ring].reverse();
}

/** One feature per piece of each cell (a cell cut in two by a boundary notch is two Polygons with one rate). */
export function cellFeatures(grid: PrescriptionGrid, rates: readonly number[]): CellFeature[] {
  const toLonLat = ([u, v]: Pair): Pair => {
    const [e, n] = fromGrid(grid.frame, u, v);
    return fromUtm(grid.zone, e, n);
  };
  return grid.cells.flatMap((cell, i) => {
    const properties: CellProperties = {
      RATE: round3(rates[i] as number),
      CLASS: cell.majorityLabel ?? 'unseen',
      SHARE: round3(cell.majorityShare ?? 0),
      SEEN: cell.seen ? 1 : 0,
      FRAMES: cell.frames,
      CONF: round3(cell.meanScore ?? 0),
    };
    return cell.pieces
      .filter((piece) => piece[0] !== undefined && ringArea(piece[0]) > 0)
      .map((piece): CellFeature => ({
        type: 'Feature',
        properties,
        geometry: { type: 'Polygon', coordinates: piece.map((ring, k) => esriOrder(ring, k === 0).map(toLonLat)) },
      }));
  });
}

/** The zipped shapefile: prescription.shp/.shx/.dbf/.prj (WGS 84 geographic, the library's .prj). */
export async function shapefileZip(features: readonly CellFeature[]): Promise<Buffer> {
  // The library's type names GeoJSON's global namespace (not installed here); its shape is the one given.
  const collection = { type: 'FeatureCollection', features } as unknown as Parameters<typeof zip>[0];
  return zip<'nodebuffer'>(collection, {
    outputType: 'nodebuffer',
    compression: 'DEFLATE',
    types: { polygon: 'prescription' },
  });
}
