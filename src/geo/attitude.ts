// An orientation in the earth frame (vehicle or camera gimbal), degrees: the shape tracks, gimbal decoding and footprints share.

export interface Attitude {
  rollDeg: number;
  pitchDeg: number;
  /** Clockwise from true north. */
  yawDeg: number;
}
