// Reads the first bytes of a file and always closes it, even when the file is empty, unreadable or shorter.

import { open } from 'node:fs/promises';

/**
 * Up to `maxBytes` from the start of `path`. The handle is closed on every path: parsers that open files
 * themselves (exifr given a path) leak the descriptor when they throw on a 0-byte or damaged file.
 */
export async function readFileHead(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
