// Types for the parts of shpjs (6.x, which ships none) the boundary reader calls: GeoJSON out, left as unknown so the
// GeoJSON boundary parser checks every coordinate.
declare module 'shpjs' {
  type Bytes = ArrayBuffer | Uint8Array | DataView;
  interface Layer {
    type: 'FeatureCollection';
    features: unknown[];
    /** The layer's file name inside the zip, without extension. */
    fileName?: string;
  }
  /** Every layer of a zipped shapefile; a .prj in the zip reprojects to WGS84 (proj4 throws on one it cannot read). */
  export function parseZip(zip: Bytes): Promise<Layer | Layer[]>;
  /** The geometries of a .shp; with `prj` (the .prj text) reprojected to WGS84, but left as they are when proj4 cannot read it. */
  export function parseShp(shp: Bytes, prj?: string): unknown[];
}
