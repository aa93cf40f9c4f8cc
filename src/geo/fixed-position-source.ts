// Position source that reports one configured point for every frame (a mast, a test bench).
import type { PositionLookup, PositionSource } from './position-source.js';

export class FixedPositionSource implements PositionSource {
  constructor(private readonly point: { latDeg: number; lonDeg: number; altMslM: number }) {}

  async positionFor(): Promise<PositionLookup> {
    return {
      position: {
        ...this.point,
        altAglM: null,
        source: 'fixed',
        fixType: null,
        hdop: null,
        satellites: null,
        sampleAgeMs: 0,
        courseDeg: null,
        attitude: null,
      },
    };
  }

  async close(): Promise<void> {}
}
