// torchvision's Resize(shorter) + CenterCrop(crop) geometry, with its exact integer rounding.

/** Where the crop sits in the resized image, and how big that image is. */
export interface ResizeCropGeometry {
  resizedWidth: number;
  resizedHeight: number;
  cropLeft: number;
  cropTop: number;
  cropPx: number;
}

/**
 * Output size of torchvision's Resize([shorter]): the shorter side becomes `shorterPx` and the long side
 * is `int(shorterPx * long / short)`, i.e. truncated, not rounded (sharp's `fit` rounds, which is one
 * pixel off for many sizes). Ties (square images) count as width-shorter, as in torchvision.
 */
export function torchvisionResizedSize(width: number, height: number, shorterPx: number): { width: number; height: number } {
  if (width <= height) {
    return { width: shorterPx, height: Math.trunc((shorterPx * height) / width) };
  }
  return { width: Math.trunc((shorterPx * width) / height), height: shorterPx };
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfToEven(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac > 0.5) return f + 1;
  if (frac < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision's CenterCrop offset along one axis: `int(round((size - crop) / 2.0))`. */
export function torchvisionCropOffset(size: number, cropPx: number): number {
  return roundHalfToEven((size - cropPx) / 2);
}

/** Throws when the options ask for something torchvision would do by padding, which this stage does not implement. */
export function assertGeometryOptions(resizeShorterPx: number, cropPx: number): void {
  if (!Number.isInteger(resizeShorterPx) || resizeShorterPx < 1) {
    throw new RangeError(`preprocess.resizeShorterPx: expected a positive integer, received ${resizeShorterPx}`);
  }
  if (!Number.isInteger(cropPx) || cropPx < 1 || cropPx > resizeShorterPx) {
    throw new RangeError(
      `preprocess.cropPx: expected an integer between 1 and resizeShorterPx (${resizeShorterPx}), received ${cropPx}; ` +
        'a crop larger than the resized image would need padding, which is not supported',
    );
  }
}

/** The full torchvision geometry for a source image. */
export function resizeCropGeometry(width: number, height: number, resizeShorterPx: number, cropPx: number): ResizeCropGeometry {
  const resized = torchvisionResizedSize(width, height, resizeShorterPx);
  return {
    resizedWidth: resized.width,
    resizedHeight: resized.height,
    cropLeft: torchvisionCropOffset(resized.width, cropPx),
    cropTop: torchvisionCropOffset(resized.height, cropPx),
    cropPx,
  };
}
