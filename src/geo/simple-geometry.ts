// The GeoJSON-shaped geometries fieldeye passes between its geometry code and the ground store's WKB writer: longitude/latitude positions, a point, a line, a polygon.

export type LonLat = readonly [number, number];

export type SimpleGeometry =
  | { type: 'Point'; coordinates: LonLat }
  | { type: 'LineString'; coordinates: readonly LonLat[] }
  | { type: 'Polygon'; coordinates: readonly (readonly LonLat[])[] };
