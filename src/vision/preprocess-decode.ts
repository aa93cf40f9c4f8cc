// Decodes a frame to 8-bit RGB with the semantics of PIL's Image.open(f).convert('RGB'), using sharp.
import sharp from 'sharp';
import type { Metadata, SharpOptions } from 'sharp';
import { ImageTooLargeError, toImageDecodeError, unsupportedImageError } from './preprocess-errors.js';
import { DEFAULT_MAX_INPUT_PIXELS } from './preprocess-types.js';
import type { RgbImage } from './preprocess-pil-resample.js';

// What PIL does and how each case is matched here (checked byte for byte against Pillow 9.4 on the
// golden fixtures):
// - no EXIF auto-rotation (PIL.Image.open ignores Orientation): sharp only rotates when asked;
// - no ICC conversion (PIL keeps the stored values): sharp's `ignoreIcc`;
// - greyscale (L, LA, 1-bit, 2/4-bit) is replicated to R=G=B; alpha (RGBA, LA, palette tRNS) is dropped,
//   not composited: sharp's b-w -> sRGB conversion is a plain replicate, and removeAlpha happens
//   without any resize, so nothing is premultiplied;
// - palettes are expanded to their colours (libpng does it; PIL's P -> RGB is the same lookup);
// - 16-bit RGB(A) and grey+alpha keep the high byte (PIL's ;16B raw modes); sharp's 16 -> 8-bit
//   colourspace conversion does the same;
// - 16-bit greyscale without alpha opens in PIL as mode I (32-bit int) and convert('RGB') clips
//   values above 255 to 255 (it does not scale): reproduced from sharp's raw 16-bit output;
// - the JPEG decoder: libvips' libjpeg (mozjpeg) gives the same bytes as Pillow's libjpeg-turbo with
//   default settings (ISLOW IDCT, fancy upsampling) on every fixture;
// - truncated files fail in PIL (OSError "image file is truncated"); sharp's failOn 'truncated' fails on
//   the same ones, while still accepting the recoverable oddities PIL accepts (e.g. extraneous bytes).

/** Options for every sharp instance that reads a frame. */
export const FRAME_READ_OPTIONS: SharpOptions = { failOn: 'truncated', ignoreIcc: true, autoOrient: false };

/** Formats whose decoding has been verified to equal PIL's. */
const EXACT_FORMATS = new Set(['jpeg', 'png']);

/**
 * Reads the header, mapping sharp's failures to ImageDecodeError, and refuses an image larger than `maxPixels`
 * before anything is decoded (every decoding path, fast and exact, starts here).
 */
export async function readFrameMetadata(bytes: Buffer, maxPixels: number = DEFAULT_MAX_INPUT_PIXELS): Promise<Metadata> {
  if (bytes.length === 0) throw toImageDecodeError(new Error('empty'), bytes);
  let meta: Metadata;
  try {
    // Header only, nothing is decoded here: sharp's own pixel cap would turn a huge image into a vague decoder
    // failure, while the check below says what is wrong.
    meta = await sharp(bytes, { ...FRAME_READ_OPTIONS, limitInputPixels: false }).metadata();
  } catch (err) {
    throw toImageDecodeError(err, bytes);
  }
  // Only the first page of a multi-page TIFF or an animation is ever decoded (sharp's default), so one page is
  // what must fit: a 20-page scan of ordinary pages is not a bomb.
  const pageHeight = meta.pageHeight ?? meta.height ?? 0;
  if ((meta.width ?? 0) * pageHeight > maxPixels) throw new ImageTooLargeError(meta.width ?? 0, pageHeight, maxPixels);
  return meta;
}

/** True for 16-bit greyscale without alpha, the one layout where PIL clips instead of taking the high byte. */
export function isGrey16WithoutAlpha(meta: Metadata): boolean {
  return meta.depth === 'ushort' && meta.channels === 1;
}

/** Decodes 16-bit grey and clips each value to 255, as PIL's I -> RGB conversion does. */
export async function decodeGrey16Clipped(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, FRAME_READ_OPTIONS).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const grey = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const n = info.width * info.height;
  if (info.channels !== 1 || grey.length !== n) {
    throw new Error(`16-bit grey decode returned ${info.channels} channels and ${grey.length} values for ${info.width}x${info.height}`);
  }
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const g = grey[i]!;
    const v = g > 255 ? 255 : g;
    rgb[o] = v;
    rgb[o + 1] = v;
    rgb[o + 2] = v;
  }
  return { data: rgb, width: info.width, height: info.height };
}

/** Decodes any layout except 16-bit grey to RGB bytes, alpha dropped, grey replicated. */
export async function decodeRgbDroppingAlpha(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, FRAME_READ_OPTIONS).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) {
    throw new Error(`RGB decode returned ${info.channels} channels for ${info.width}x${info.height}`);
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/**
 * Rejects layouts whose PIL conversion is not reproduced: CMYK (PIL's naive CMYK -> RGB formula, while
 * sharp would apply an ICC transform) and anything that is not 1-4 bands of 8 or 16 bits.
 */
export function assertConvertibleLikePil(meta: Metadata): void {
  if (meta.space === 'cmyk') {
    throw unsupportedImageError('CMYK image', 'send RGB or greyscale frames (set the camera or converter to sRGB output)');
  }
  if (meta.depth !== 'uchar' && meta.depth !== 'ushort') {
    throw unsupportedImageError(`${meta.depth ?? 'unknown'} samples`, 'send 8- or 16-bit frames');
  }
}

/** Decodes like PIL's Image.open(f).convert('RGB'); JPEG and PNG only (the formats verified against PIL). */
export async function decodeLikePil(bytes: Buffer, maxPixels?: number): Promise<RgbImage> {
  const meta = await readFrameMetadata(bytes, maxPixels);
  if (!EXACT_FORMATS.has(meta.format ?? '')) {
    throw unsupportedImageError(
      `${meta.format ?? 'unknown'} format in exact mode, which reproduces PIL's decoding only for JPEG and PNG`,
      'use preprocess mode "fast" or record JPEG/PNG frames',
    );
  }
  assertConvertibleLikePil(meta);
  try {
    return isGrey16WithoutAlpha(meta) ? await decodeGrey16Clipped(bytes) : await decodeRgbDroppingAlpha(bytes);
  } catch (err) {
    throw toImageDecodeError(err, bytes);
  }
}
