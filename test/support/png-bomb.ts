// Test helper: a real, valid PNG that is tiny on disk and huge in pixels (a decompression bomb). Its pixel data is all
// zeros, so the zlib stream is one compressed block of zeros repeated: made in milliseconds, not by deflating gigabytes.
import { writeFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** Zeros compressed in one block that ends on a full flush: blocks like it concatenate into one valid deflate stream. */
function zeroBlock(bytes: number): Buffer {
  return deflateRawSync(Buffer.alloc(bytes), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
}

/** A zlib stream (RFC 1950) of `total` zero bytes. */
function zlibOfZeros(total: number): Buffer {
  const BLOCK = 4 * 1024 * 1024;
  const whole = zeroBlock(BLOCK);
  const parts: Buffer[] = [Buffer.from([0x78, 0xda])];
  for (let i = 0; i < Math.floor(total / BLOCK); i++) parts.push(whole);
  if (total % BLOCK > 0) parts.push(zeroBlock(total % BLOCK));
  // The final, empty block; then Adler-32 of n zeros: a stays 1, b adds a once per byte.
  parts.push(deflateRawSync(Buffer.alloc(0)));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((total % 65521) * 65536 + 1) >>> 0);
  parts.push(adler);
  return Buffer.concat(parts);
}

/** Writes a black 8-bit RGB PNG of width x height (a 16000x16000 one is under 1 MB) and returns its bytes. */
export async function writePngBomb(path: string, width: number, height: number): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type RGB
  // Each row: filter byte 0, then width x 3 zero samples.
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlibOfZeros(height * (1 + width * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  writeFileSync(path, png);
  return Promise.resolve(png);
}
