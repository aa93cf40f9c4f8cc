// A field boundary from KML: every Polygon in the document (Placemarks, MultiGeometry, Folders), parsed with
// fast-xml-parser; KML coordinates are WGS84 longitude, latitude by definition.
import { XMLParser } from 'fast-xml-parser';
import type { MultiPolygon, Pair, Polygon } from 'polygon-clipping';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import type { FieldBoundary } from './coverage-frame.js';

type Node = Record<string, unknown>;

/** KML coordinates: "lon,lat[,alt]" tuples separated by whitespace. */
function ringOf(text: unknown, where: string): Pair[] {
  const tuples = String(text ?? '')
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
  const ring = tuples.map((t): Pair => {
    const [lon, lat] = t.split(',').map(Number);
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon as number) > 180 || Math.abs(lat as number) > 90) {
      throw new FieldeyeError('input', `${where}: "${t}" is not a lon,lat[,alt] coordinate`);
    }
    return [lon as number, lat as number];
  });
  if (ring.length < 4) throw new FieldeyeError('input', `${where}: a ring needs 4 or more coordinates (a closed ring), found ${ring.length}`);
  return ring;
}

function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function polygonOf(node: Node, where: string): Polygon {
  const ringsIn = (key: string) => asList(node[key]).flatMap((b) => asList((b as Node)['LinearRing']).map((r) => (r as Node)['coordinates']));
  const outer = ringsIn('outerBoundaryIs');
  if (outer.length !== 1) throw new FieldeyeError('input', `${where}: a Polygon needs one outerBoundaryIs ring, found ${outer.length}`);
  return [ringOf(outer[0], `${where} outer ring`), ...ringsIn('innerBoundaryIs').map((c, i) => ringOf(c, `${where} inner ring ${i}`))];
}

/** Every Polygon anywhere in the document (Placemarks, MultiGeometry, Folders), in document order. */
function collectPolygons(node: unknown, where: string, out: MultiPolygon): void {
  if (Array.isArray(node)) {
    node.forEach((n) => collectPolygons(n, where, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === 'Polygon') asList(value).forEach((p) => out.push(polygonOf(p as Node, `${where} Polygon ${out.length}`)));
    else collectPolygons(value, where, out);
  }
}

export function parseKmlBoundary(text: string, name: string): FieldBoundary {
  let doc: unknown;
  try {
    // Namespace prefixes (kml:, gx:) are dropped: the element names are what say it is a polygon.
    doc = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false }).parse(text, true);
  } catch (err) {
    throw new FieldeyeError('input', `--boundary ${name}: not XML (${(err as Error).message})`, { cause: err });
  }
  const polygons: MultiPolygon = [];
  collectPolygons(doc, `--boundary ${name}`, polygons);
  if (polygons.length === 0) throw new FieldeyeError('input', `--boundary ${name}: holds no KML Polygon`);
  return { name, polygons };
}
