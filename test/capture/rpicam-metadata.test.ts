// rpicam-vid's --metadata json stream, read as it arrives: the stream rpicam-apps' write_metadata prints (values by
// libcamera's toString, quoted only with a "/", nan where a float is not a number), cut at every possible point.
import { describe, expect, it } from 'vitest';
import { RpicamMetadataReader, RunExposures } from '../../src/capture/rpicam-metadata.js';

/** One frame's object as rpicam-apps writes it: "{", then "\n    \"Name\": value" joined by ",", then "\n}". */
function object(exposure: string | null): string {
  const controls: Array<[string, string]> = [
    ['SensorTimestamp', '1034567890123'],
    ['ScalerCrop', '"(0, 0)/4608x2592"'],
    ...(exposure === null ? [] : ([['ExposureTime', exposure]] as Array<[string, string]>)),
    ['ColourGains', '[ 1.801524, 1.574237 ]'],
    ['LensPosition', 'nan'],
    ['ScalerCrops', '"[ (0, 0)/4608x2592, (8, 8)/{odd}x2 ]"'],
    ['AeLocked', 'false'],
  ];
  return `{${controls.map(([n, v], i) => `${i > 0 ? ',' : ''}\n    "${n}": ${v}`).join('')}\n}`;
}

const STREAM = `[\n${[object('9987'), object('12000'), object(null), object('0'), object('"15000"'), object('250')].join(',\n')}\n]\n`;

describe('RpicamMetadataReader', () => {
  it('gives each frame its ExposureTime in order, whatever the chunks, and null where there is none to read', () => {
    const want = [9987, 12000, null, null, 15000, 250];
    const whole = new RpicamMetadataReader().push(STREAM).map((m) => m.exposureUs);
    expect(whole).toEqual(want);
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const reader = new RpicamMetadataReader();
      const got = [...reader.push(STREAM.slice(0, cut)), ...reader.push(STREAM.slice(cut))].map((m) => m.exposureUs);
      expect(got, `cut at ${cut}`).toEqual(want);
    }
    const oneByOne = new RpicamMetadataReader();
    expect([...STREAM].flatMap((ch) => oneByOne.push(ch)).map((m) => m.exposureUs)).toEqual(want);
  });

  it('keeps frame indices past an oversized object (cut short, still counted)', () => {
    const huge = `{\n    "Junk": "${'x'.repeat(100_000)}",\n    "ExposureTime": 5\n}`;
    const reader = new RpicamMetadataReader();
    expect(reader.push(`[\n${object('100')},\n${huge},\n${object('300')}`).map((m) => m.exposureUs)).toEqual([100, null, 300]);
  });
});

describe('RunExposures', () => {
  it('a frame gets its own exposure once its object arrived, else the newest reported, and none before the first', () => {
    const run = new RunExposures();
    expect(run.take(0)).toBeUndefined();
    run.push(`[\n${object('1000')},\n${object('2000')},\n${object('3000')}`);
    expect(run.take(1)).toBe(2000);
    // Frame 4's object has not come (the stream is a few frames behind): the newest one stands in.
    expect(run.take(4)).toBe(3000);
    run.push(`,\n${object('4000')},\n${object('5000')},\n${object('6000')}`);
    expect(run.take(5)).toBe(6000);
    expect(run.take(6)).toBe(6000);
  });
});
