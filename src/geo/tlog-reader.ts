// Reads ground-station .tlog files: records of an 8-byte big-endian Unix time in microseconds followed by one MAVLink v1 or v2 packet.
import { checkPacket, MAVLINK_V1_STX, MAVLINK_V2_STX, packetLength, type MavlinkPacket } from './mavlink-packet.js';

export interface TlogRecord {
  /** When the ground station received the packet, ms since the epoch (its clock, not the vehicle's). */
  receivedMs: number;
  packet: MavlinkPacket;
}

export interface TlogStats {
  records: number;
  v1: number;
  v2: number;
  /**
   * Records skipped whole because their CRC did not match or their id is unknown to node-mavlink, while the next
   * record starts right after them (the framing holds, so it is the message definition that differs: old firmware).
   */
  unverified: number;
  /** Times the reader lost the record boundary (garbage, a corrupted length) and searched for the next record. */
  resyncs: number;
  /** Bytes passed over while resynchronising. */
  skippedBytes: number;
  /** Bytes of an incomplete last record (a log cut mid-write); 0 for a clean end. */
  truncatedTailBytes: number;
}

const TIME_BYTES = 8;
// A record whose time is this far from the previous good one is taken for a false boundary while resynchronising.
const PLAUSIBLE_JUMP_MS = 86_400_000;

type Probe = { record: TlogRecord | null; length: number } | 'incomplete' | null;

/** The record at `at`: checked (record set), framed but unverifiable (record null), cut short, or not a record. */
function recordAt(buf: Buffer, at: number): Probe {
  const stxAt = at + TIME_BYTES;
  const stx = buf[stxAt];
  if (stx === undefined) return 'incomplete';
  if (stx !== MAVLINK_V1_STX && stx !== MAVLINK_V2_STX) return null;
  const length = packetLength(buf, stxAt);
  if (length === null || stxAt + length > buf.length) return 'incomplete';
  const checked = checkPacket(buf.subarray(stxAt, stxAt + length));
  if (!checked.ok) return { record: null, length: TIME_BYTES + length };
  // Microseconds since 1970 stay below 2^53 until the year 2255: Number is exact enough for ms.
  const receivedMs = Number(buf.readBigUInt64BE(at)) / 1000;
  return { record: { receivedMs, packet: checked.packet }, length: TIME_BYTES + length };
}

/** A record that cannot be verified is trusted for its length only when a verified record (or the end) follows it. */
function framingHolds(buf: Buffer, next: number): boolean {
  if (next >= buf.length) return true;
  const after = recordAt(buf, next);
  return after === 'incomplete' || (after !== null && after.record !== null);
}

/**
 * Yields every record of a .tlog held in memory. Never throws on content: a damaged record is skipped by searching
 * for the next position where a timestamp is followed by a packet with a valid CRC; a cut last record is counted
 * in `stats.truncatedTailBytes`.
 */
export function* readTlog(bytes: Buffer, stats: TlogStats = emptyTlogStats()): Generator<TlogRecord> {
  let at = 0;
  let lastMs: number | null = null;
  while (at < bytes.length) {
    const got = recordAt(bytes, at);
    if (got === 'incomplete') {
      stats.truncatedTailBytes = bytes.length - at;
      return;
    }
    if (got !== null && got.record === null && framingHolds(bytes, at + got.length)) {
      stats.unverified++;
      at += got.length;
      continue;
    }
    if (got === null || got.record === null) {
      stats.resyncs++;
      let next = at + 1;
      for (; next < bytes.length; next++) {
        const candidate = recordAt(bytes, next);
        if (candidate === 'incomplete' || candidate === null || candidate.record === null) continue;
        if (lastMs === null || Math.abs(candidate.record.receivedMs - lastMs) <= PLAUSIBLE_JUMP_MS) break;
      }
      stats.skippedBytes += next - at;
      at = next;
      continue;
    }
    stats.records++;
    if (got.record.packet.version === 2) stats.v2++;
    else stats.v1++;
    lastMs = got.record.receivedMs;
    at += got.length;
    yield got.record;
  }
}

export function emptyTlogStats(): TlogStats {
  return { records: 0, v1: 0, v2: 0, unverified: 0, resyncs: 0, skippedBytes: 0, truncatedTailBytes: 0 };
}
