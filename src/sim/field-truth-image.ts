// The simulated field's ground truth as a map image: every zone in its class colour with its outline, as a PNG and
// the lat/lon rectangle it covers, so a map can lay it under a flight's results (the demo's dashboard does).
import sharp from 'sharp';
import { offsetLatLon } from '../geo/footprint.js';
import { FIELD_ZONES, type FieldZone } from '../flight/recording-format.js';
import { SIMULATED_ORIGIN } from './simulator.js';
import { createField, zoneAt } from './simulator-field.js';

/**
 * One colour per zone, chosen to read as the ground does (crops green, water blue, soil brown) so a wrong marker
 * stands out at a glance; a map showing the truth gives the results of each class the same colour.
 */
export const ZONE_COLOURS: Readonly<Record<FieldZone, string>> = {
  'crop-rows': '#2e9e44',
  weeds: '#c2185b',
  'bare-soil': '#8d5a2b',
  water: '#1f6fd1',
  'stressed-crop': '#e0b000',
};

export interface FieldTruthOptions {
  seed: number;
  widthM: number;
  heightM: number;
  /** Ground metres per image pixel (default 0.5: a 300x200 m field is a 680x480 image with its margin). */
  metresPerPx?: number;
  /**
   * Metres drawn beyond the surveyed area on every side (default 20): footprints of the outer lines reach past it,
   * and the field is defined there too.
   */
  marginM?: number;
}

export interface FieldTruthImage {
  png: Buffer;
  /** [[south, west], [north, east]] in degrees: the image's edges, north up. */
  bounds: [[number, number], [number, number]];
  widthPx: number;
  heightPx: number;
}

function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Zone index of every pixel centre, row 0 at the north edge. */
function zoneRaster(options: Required<FieldTruthOptions>, widthPx: number, heightPx: number): Uint8Array {
  const field = createField({ seed: options.seed, widthM: options.widthM, heightM: options.heightM });
  const zones = new Uint8Array(widthPx * heightPx);
  const index = new Map<FieldZone, number>(FIELD_ZONES.map((z, i) => [z, i]));
  for (let row = 0; row < heightPx; row++) {
    const northM = options.heightM + options.marginM - (row + 0.5) * options.metresPerPx;
    for (let col = 0; col < widthPx; col++) {
      const eastM = -options.marginM + (col + 0.5) * options.metresPerPx;
      zones[row * widthPx + col] = index.get(zoneAt(field, eastM, northM)) ?? 0;
    }
  }
  return zones;
}

/** The truth image of the field `fieldeye simulate --seed` flies over (south-west corner at SIMULATED_ORIGIN). */
export async function renderFieldTruth(opts: FieldTruthOptions): Promise<FieldTruthImage> {
  const options: Required<FieldTruthOptions> = { metresPerPx: 0.5, marginM: 20, ...opts };
  const { metresPerPx, marginM } = options;
  const widthPx = Math.ceil((options.widthM + 2 * marginM) / metresPerPx);
  const heightPx = Math.ceil((options.heightM + 2 * marginM) / metresPerPx);
  const zones = zoneRaster(options, widthPx, heightPx);
  const palette = FIELD_ZONES.map((z) => rgb(ZONE_COLOURS[z]));
  const pixels = Buffer.alloc(widthPx * heightPx * 3);
  for (let i = 0; i < zones.length; i++) {
    const zone = zones[i] as number;
    const col = i % widthPx;
    // A zone's edge (its neighbour to the east or south is another zone) is drawn darker: outlines read at any zoom.
    const edge = (col + 1 < widthPx && zones[i + 1] !== zone) || (i + widthPx < zones.length && zones[i + widthPx] !== zone);
    const [r, g, b] = palette[zone] as [number, number, number];
    const shade = edge ? 0.45 : 1;
    pixels[i * 3] = Math.round(r * shade);
    pixels[i * 3 + 1] = Math.round(g * shade);
    pixels[i * 3 + 2] = Math.round(b * shade);
  }
  const png = await sharp(pixels, { raw: { width: widthPx, height: heightPx, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const south = -marginM;
  const west = -marginM;
  const sw = offsetLatLon(SIMULATED_ORIGIN, south, west);
  const ne = offsetLatLon(SIMULATED_ORIGIN, south + heightPx * metresPerPx, west + widthPx * metresPerPx);
  return {
    png,
    bounds: [
      [sw.latDeg, sw.lonDeg],
      [ne.latDeg, ne.lonDeg],
    ],
    widthPx,
    heightPx,
  };
}
