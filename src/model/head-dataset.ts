// Labelled frames for train-head: a folder with one subfolder per class, or a simulated flight with its ground truth; and the seeded stratified hold-out split.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { readFlight } from '../flight/flight-reader.js';
import { FIELD_ZONES } from '../flight/recording-format.js';
import { FLIGHT_FILES } from '../flight/recording-format.js';
import { SeededRandom } from '../platform/seeded-random.js';
import { IMAGE_EXTENSIONS, listImageFiles } from './calibration-frames.js';

export interface LabelledFrames {
  kind: 'folder' | 'flight';
  /** Class names; a frame's label is an index into this list. */
  classes: string[];
  files: string[];
  labels: Int32Array;
}

/** What a class name may be: it becomes a line of the labels file and a JSON key. */
const CLASS_NAME = /^[^\r\n\t]+$/;

async function folderFrames(dir: string): Promise<LabelledFrames> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const what = `--data ${dir}`;
  const layout = `put the frames of each class in its own subfolder (DIR/weeds/*.jpg, DIR/bare-soil/*.jpg, ...), or pass a simulated flight (\`fieldeye simulate\`)`;
  if (entries.length < 2) {
    throw new Error(
      `${what}: ${entries.length === 0 ? 'has no class subfolders' : `has only one class subfolder ("${entries[0]}")`}; a classifier needs at least 2 classes: ${layout}`,
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  const empty: string[] = [];
  for (const [k, name] of entries.entries()) {
    if (!CLASS_NAME.test(name)) throw new Error(`${what}: class folder ${JSON.stringify(name)} cannot be a label (tabs or line breaks); rename it`);
    const images = await listImageFiles(join(dir, name), `${what} class "${name}"`);
    if (images.length === 0) empty.push(name);
    for (const f of images) {
      files.push(f);
      labels.push(k);
    }
  }
  if (empty.length > 0) {
    throw new Error(
      `${what}: class folder${empty.length > 1 ? 's' : ''} ${empty.map((e) => `"${e}"`).join(', ')} ${empty.length > 1 ? 'have' : 'has'} no images (${IMAGE_EXTENSIONS.join(', ')}); add labelled frames of ${empty.length > 1 ? 'those classes' : 'that class'} or remove the folder`,
    );
  }
  return { kind: 'folder', classes: entries, files, labels: Int32Array.from(labels) };
}

/** The simulator's true zone of a frame (frames.jsonl source.simulator.zone), or null. */
function trueZone(source: Record<string, unknown>): string | null {
  const sim = source['simulator'];
  const zone = typeof sim === 'object' && sim !== null ? (sim as { zone?: unknown }).zone : undefined;
  return typeof zone === 'string' && zone !== '' ? zone : null;
}

async function flightFrames(dir: string): Promise<LabelledFrames> {
  const flight = await readFlight(dir);
  const what = `--data ${dir}`;
  const labelled = flight.frames.flatMap((f) => {
    const zone = trueZone(f.source);
    return zone ? [{ file: join(flight.dir, f.file), zone }] : [];
  });
  if (labelled.length === 0) {
    throw new Error(
      `${what}: a flight without ground truth: none of its ${flight.frames.length} frames has source.simulator.zone in ${FLIGHT_FILES.frames}; train on a flight written by \`fieldeye simulate\`, or on a folder with one subfolder of frames per class`,
    );
  }
  // The simulator's class order, restricted to the classes this flight saw.
  const known: readonly string[] = FIELD_ZONES;
  const seen = new Set(labelled.map((f) => f.zone));
  const classes = [...known.filter((z) => seen.has(z)), ...[...seen].filter((z) => !known.includes(z)).sort()];
  if (classes.length < 2) {
    throw new Error(
      `${what}: its ${labelled.length} labelled frames all show "${classes[0]}"; a classifier needs at least 2 classes: simulate a larger area (fieldeye simulate --area)`,
    );
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  return { kind: 'flight', classes, files: labelled.map((f) => f.file), labels: Int32Array.from(labelled, (f) => index.get(f.zone) as number) };
}

/** A flight folder (flight.json inside) or a folder of class subfolders; errors name the path and what to do. */
export async function loadLabelledFrames(data: string): Promise<LabelledFrames> {
  const st = await stat(data).catch(() => null);
  if (!st?.isDirectory()) {
    throw new Error(
      `--data ${data}: ${st ? 'is a file' : 'does not exist'}; pass a folder with one subfolder of frames per class, or a flight folder written by \`fieldeye simulate\``,
    );
  }
  return existsSync(join(data, FLIGHT_FILES.manifest)) ? flightFrames(data) : folderFrames(data);
}

/** Folder name only, for cards (no machine paths). */
export function dataSourceName(data: string): string {
  return basename(resolve(data));
}

/**
 * Seeded stratified split: in each class, a seeded shuffle, then round(share × count) frames go to
 * held-out, always leaving at least one in training. Indices come back sorted.
 */
export function stratifiedSplit(labels: Int32Array, classes: number, share: number, seed: number): { train: number[]; heldOut: number[] } {
  if (!(share >= 0 && share < 1)) throw new RangeError(`--holdout: expected a share from 0 up to (not including) 1, received ${share}`);
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members: number[] = [];
    labels.forEach((l, i) => {
      if (l === c) members.push(i);
    });
    // One stream per class: adding a class does not reshuffle the others.
    const rng = new SeededRandom(seed, `train-head-split-${c}`);
    for (let i = members.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [members[i], members[j]] = [members[j] as number, members[i] as number];
    }
    const take = Math.min(Math.round(share * members.length), members.length - 1);
    heldOut.push(...members.slice(0, Math.max(0, take)));
    train.push(...members.slice(Math.max(0, take)));
  }
  return { train: train.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}
