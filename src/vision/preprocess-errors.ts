// Errors of the preprocessing stage, worded for the operator: what was wrong with the frame and what to do.
import { FieldeyeError } from '../platform/fieldeye-error.js';

/** The frame's bytes are not an image this stage can decode (empty, truncated, corrupt, unknown format). */
export class ImageDecodeError extends FieldeyeError {
  override readonly name = 'ImageDecodeError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('input', message, options);
  }
}

// Magic numbers of the formats a camera or a recording could plausibly hand us, for messages only:
// sharp sniffs the format itself.
const SIGNATURES: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['JPEG', [0xff, 0xd8, 0xff]],
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['GIF', [0x47, 0x49, 0x46, 0x38]],
  ['TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
  ['WebP', [0x52, 0x49, 0x46, 0x46]],
];

/** Names the format from the first bytes, or undefined when they match nothing known. */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  for (const [name, sig] of SIGNATURES) {
    if (bytes.length >= sig.length && sig.every((b, i) => bytes[i] === b)) return name;
  }
  return undefined;
}

function leadingHex(bytes: Uint8Array, count: number): string {
  return Array.from(bytes.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

const ADVICE = 'check the camera/recording';

/**
 * Turns whatever the decoder threw into an ImageDecodeError that says what was wrong, keeping the
 * decoder's own text as detail (and as `cause`), because sharp's messages alone ("Input buffer
 * contains unsupported image format") do not tell an operator which frame problem they are facing.
 */
export function toImageDecodeError(err: unknown, bytes: Uint8Array): ImageDecodeError {
  if (err instanceof ImageDecodeError) return err;
  if (bytes.length === 0) {
    return new ImageDecodeError(`frame is not a decodable image (empty input: 0 bytes): ${ADVICE}`, { cause: err });
  }
  const raw = err instanceof Error ? err.message : String(err);
  // libvips repeats its error stack; the first line carries the cause.
  const detail = raw.split('\n')[0]?.trim() ?? raw;
  const format = sniffFormat(bytes);
  let what: string;
  if (/unsupported image format/i.test(raw)) {
    what = `unrecognised format: ${bytes.length} bytes starting ${leadingHex(bytes, 8)}`;
  } else if (/premature end|truncat|read error|unexpected end/i.test(raw)) {
    what = `${format ?? 'image'} data is truncated or corrupt: ${detail}`;
  } else if (/corrupt header/i.test(raw)) {
    what = `${format ?? 'image'} header is corrupt: ${detail}`;
  } else {
    what = `${format ?? 'image'} decoder failed: ${detail}`;
  }
  return new ImageDecodeError(`frame is not a decodable image (${what}): ${ADVICE}`, { cause: err });
}

/** For frames that decode but that a mode cannot process faithfully (e.g. CMYK in exact mode). */
export function unsupportedImageError(what: string, remedy: string): ImageDecodeError {
  return new ImageDecodeError(`frame cannot be preprocessed (${what}): ${remedy}`);
}

/** An image whose header announces more pixels than the decode limit: refused before any decoding. */
export class ImageTooLargeError extends ImageDecodeError {
  constructor(
    readonly widthPx: number,
    readonly heightPx: number,
    readonly limitPixels: number,
  ) {
    super(
      `image too large to decode: ${widthPx}x${heightPx} = ${((widthPx * heightPx) / 1e6).toFixed(1)} MP exceeds the limit of ` +
        `${(limitPixels / 1e6).toFixed(1)} MP (model.maxImageMegapixels); send smaller frames, or raise the limit if this ` +
        'is a real camera frame and the memory allows it',
    );
  }
}
