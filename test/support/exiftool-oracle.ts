// Test helper: what exiftool (the independent oracle, not exifr) reads from every photo of a folder, by file name.
import { execFileSync } from 'node:child_process';

/** Every tag the import tests compare against; exiftool leaves out the ones a photo does not have. */
export interface ExiftoolTags {
  SourceFile: string;
  GPSLatitude?: number;
  GPSLongitude?: number;
  GPSAltitude?: number;
  GPSAltitudeRef?: number;
  RelativeAltitude?: string | number;
  Height?: number;
  GimbalPitchDegree?: number;
  GimbalYawDegree?: number;
  FlightYawDegree?: number;
  FlightPitchDegree?: number;
  FlightRollDegree?: number;
}

const TAGS = [
  '-GPSLatitude',
  '-GPSLongitude',
  '-GPSAltitude',
  '-GPSAltitudeRef',
  '-XMP-drone-dji:RelativeAltitude',
  '-XMP-sensefly:Height',
  '-GimbalPitchDegree',
  '-GimbalYawDegree',
  '-FlightYawDegree',
  '-FlightPitchDegree',
  '-FlightRollDegree',
];

export function exiftool(dir: string): Map<string, ExiftoolTags> {
  const json = execFileSync('exiftool', ['-n', '-j', ...TAGS, dir], { encoding: 'utf8' });
  return new Map((JSON.parse(json) as ExiftoolTags[]).map((t) => [t.SourceFile.split('/').at(-1) as string, t]));
}
