// One colour per class index for the whole page (markers, footprints, legend, chart), in order of first sight.
const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#469990', '#9a6324', '#800000', '#000075'];
const assigned = new Map();

/**
 * Gives a class a colour of its own choosing (the demo's field picture draws each zone so), before the class is first
 * seen; a class seen already keeps the colour its markers were drawn in.
 */
export function pinClassColour(index, colour) {
  if (!assigned.has(index)) assigned.set(index, colour);
}

export function classColour(index) {
  let colour = assigned.get(index);
  if (colour === undefined) {
    const n = assigned.size;
    // Past the palette: golden-angle hues stay apart from each other.
    colour = n < PALETTE.length ? PALETTE[n] : `hsl(${Math.round((n * 137.508) % 360)}, 65%, 45%)`;
    assigned.set(index, colour);
  }
  return colour;
}
