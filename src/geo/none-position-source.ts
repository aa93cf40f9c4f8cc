// Position source for flights configured without geotagging: every result says why it has no position.
import type { PositionLookup, PositionSource } from './position-source.js';

export class NonePositionSource implements PositionSource {
  async positionFor(): Promise<PositionLookup> {
    return { position: null, reason: 'geotagging is off (position.type: none)' };
  }

  async close(): Promise<void> {}
}
