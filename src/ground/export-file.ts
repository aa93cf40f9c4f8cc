// Writes an export (GeoJSON, CSV) into a new file, piece by piece as the store's batches come, never over an existing
// file; a failed export leaves no half-written file behind.
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../config/config-error.js';

/** Rows or features written per table or layer (and what was left out, named as such). */
export type ExportCounts = Record<string, number>;

export type WriteText = (text: string) => Promise<void>;

async function writeAll(handle: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  // write(2) may take less than asked (a full disk, a signal): go on from where it stopped.
  for (let at = 0; at < bytes.length;) at += (await handle.write(bytes, at)).bytesWritten;
}

/** Creates `out` (`what` names the kind of file in the refusal), hands `body` a writer, and closes it. */
export async function writeNewFile<R>(out: string, what: string, body: (write: WriteText) => Promise<R>): Promise<R> {
  await mkdir(dirname(out), { recursive: true });
  let handle: FileHandle;
  try {
    // 'wx' fails when the file exists, also when it appeared after any check we could make first.
    handle = await open(out, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new ConfigError(`--out: ${out} exists; export writes a new ${what}: choose another path or remove the file`);
  }
  try {
    const result = await body((text) => writeAll(handle, text));
    await handle.sync();
    await handle.close();
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(out, { force: true });
    throw error;
  }
}
