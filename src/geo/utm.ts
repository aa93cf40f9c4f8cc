// UTM on WGS 84 (EPSG:326xx north, 327xx south) for class maps, prescriptions and coverage: picks the zone of a
// selection's centre and projects footprints into it and cell corners back, with Krüger's series to order n^6
// (Karney 2011), accurate to well under a millimetre within a zone: the GeoPackage class map must agree with
// PostGIS's (PROJ's) to 1e-6, and the tests compare the two.
//
// Kept rather than replaced by proj4 (now a dependency for field boundaries): every class map, prescription and
// coverage figure already written was computed with this series, and a replay must give the same numbers.

const A = 6_378_137; // WGS 84 semi-major axis, metres
const F = 1 / 298.257223563;
const K0 = 0.9996;
const FALSE_EASTING = 500_000;
const FALSE_NORTHING_SOUTH = 10_000_000;

const N = F / (2 - F);
const E = Math.sqrt(F * (2 - F));
/** The rectifying radius times k0: metres of northing per radian of rectifying latitude. */
const KA = (K0 * A * (1 + (N * N) / 4 + N ** 4 / 64 + N ** 6 / 256)) / (1 + N);

/** Forward coefficients α1..α6 (Karney 2011, eq. 35), as polynomials in n. */
const ALPHA = [
  N / 2 - (2 / 3) * N ** 2 + (5 / 16) * N ** 3 + (41 / 180) * N ** 4 - (127 / 288) * N ** 5 + (7891 / 37800) * N ** 6,
  (13 / 48) * N ** 2 - (3 / 5) * N ** 3 + (557 / 1440) * N ** 4 + (281 / 630) * N ** 5 - (1983433 / 1935360) * N ** 6,
  (61 / 240) * N ** 3 - (103 / 140) * N ** 4 + (15061 / 26880) * N ** 5 + (167603 / 181440) * N ** 6,
  (49561 / 161280) * N ** 4 - (179 / 168) * N ** 5 + (6601661 / 7257600) * N ** 6,
  (34729 / 80640) * N ** 5 - (3418889 / 1995840) * N ** 6,
  (212378941 / 319334400) * N ** 6,
];

/** Inverse coefficients β1..β6 (Karney 2011, eq. 36). */
const BETA = [
  N / 2 - (2 / 3) * N ** 2 + (37 / 96) * N ** 3 - (1 / 360) * N ** 4 - (81 / 512) * N ** 5 + (96199 / 604800) * N ** 6,
  (1 / 48) * N ** 2 + (1 / 15) * N ** 3 - (437 / 1440) * N ** 4 + (46 / 105) * N ** 5 - (1118711 / 3870720) * N ** 6,
  (17 / 480) * N ** 3 - (37 / 840) * N ** 4 - (209 / 4480) * N ** 5 + (5569 / 90720) * N ** 6,
  (4397 / 161280) * N ** 4 - (11 / 504) * N ** 5 - (830251 / 7257600) * N ** 6,
  (4583 / 161280) * N ** 5 - (108847 / 3991680) * N ** 6,
  (20648693 / 638668800) * N ** 6,
];

const RAD = Math.PI / 180;

export interface UtmZone {
  /** 1..60 */
  zone: number;
  north: boolean;
  /** 326xx (north) or 327xx (south). */
  epsg: number;
  /** Central meridian, degrees. */
  lon0Deg: number;
}

/**
 * The standard 6° zone holding (lonDeg, latDeg); the Norway and Svalbard exceptions are not applied (any zone is a
 * valid metric CRS, and PostGIS's EPSG:326xx are the same plain zones).
 */
export function utmZoneOf(lonDeg: number, latDeg: number): UtmZone {
  const wrapped = ((((lonDeg + 180) % 360) + 360) % 360) - 180;
  const zone = Math.min(60, Math.floor((wrapped + 180) / 6) + 1);
  const north = latDeg >= 0;
  return { zone, north, epsg: (north ? 32600 : 32700) + zone, lon0Deg: zone * 6 - 183 };
}

/** The zone of EPSG code 326xx or 327xx. */
export function utmZoneOfEpsg(epsg: number): UtmZone {
  const north = epsg < 32700;
  const zone = epsg - (north ? 32600 : 32700);
  if (!Number.isInteger(zone) || zone < 1 || zone > 60) throw new Error(`EPSG:${epsg} is not a WGS 84 UTM zone`);
  return { zone, north, epsg, lon0Deg: zone * 6 - 183 };
}

/** [easting, northing] in metres of (lonDeg, latDeg) in `z`. */
export function toUtm(z: UtmZone, lonDeg: number, latDeg: number): [number, number] {
  const phi = latDeg * RAD;
  const lambda = (lonDeg - z.lon0Deg) * RAD;
  const sinPhi = Math.sin(phi);
  // tan of the conformal latitude; then the Gauss–Schreiber transverse Mercator on the sphere, then Krüger's series.
  const t = Math.sinh(Math.atanh(sinPhi) - E * Math.atanh(E * sinPhi));
  const xi1 = Math.atan2(t, Math.cos(lambda));
  const eta1 = Math.atanh(Math.sin(lambda) / Math.sqrt(1 + t * t));
  let xi = xi1;
  let eta = eta1;
  ALPHA.forEach((a, i) => {
    const j = 2 * (i + 1);
    xi += a * Math.sin(j * xi1) * Math.cosh(j * eta1);
    eta += a * Math.cos(j * xi1) * Math.sinh(j * eta1);
  });
  return [FALSE_EASTING + KA * eta, (z.north ? 0 : FALSE_NORTHING_SOUTH) + KA * xi];
}

/** [lonDeg, latDeg] of (easting, northing) in `z`. */
export function fromUtm(z: UtmZone, easting: number, northing: number): [number, number] {
  const xi = (northing - (z.north ? 0 : FALSE_NORTHING_SOUTH)) / KA;
  const eta = (easting - FALSE_EASTING) / KA;
  let xi1 = xi;
  let eta1 = eta;
  BETA.forEach((b, i) => {
    const j = 2 * (i + 1);
    xi1 -= b * Math.sin(j * xi) * Math.cosh(j * eta);
    eta1 -= b * Math.cos(j * xi) * Math.sinh(j * eta);
  });
  const tau1 = Math.sin(xi1) / Math.sqrt(Math.sinh(eta1) ** 2 + Math.cos(xi1) ** 2);
  const lambda = Math.atan2(Math.sinh(eta1), Math.cos(xi1));
  return [z.lon0Deg + lambda / RAD, Math.atan(tauOfConformal(tau1)) / RAD];
}

/** tan φ from the tan of the conformal latitude, by Newton's method (Karney 2011, eqs. 19-21): 2-3 steps suffice. */
function tauOfConformal(tau1: number): number {
  const e2m = 1 - E * E;
  let tau = tau1;
  for (let i = 0; i < 6; i += 1) {
    const sigma = Math.sinh(E * Math.atanh((E * tau) / Math.sqrt(1 + tau * tau)));
    const tauI = tau * Math.sqrt(1 + sigma * sigma) - sigma * Math.sqrt(1 + tau * tau);
    const step = ((tau1 - tauI) * (1 + e2m * tau * tau)) / (e2m * Math.sqrt(1 + tauI * tauI) * Math.sqrt(1 + tau * tau));
    tau += step;
    if (Math.abs(step) < 1e-15 * Math.max(1, Math.abs(tau))) break;
  }
  return tau;
}
