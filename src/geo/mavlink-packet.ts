// Finds, checks and decodes MAVLink v1/v2 packets in raw bytes (UDP datagrams, .tlog records) with node-mavlink's CRCs and message classes.
import {
  MavLinkProtocolV1,
  MavLinkProtocolV2,
  MSG_ID_MAGIC_NUMBER,
  ardupilotmega,
  common,
  minimal,
  x25crc,
  type MavLinkData,
  type MavLinkDataConstructor,
  type MavLinkProtocol,
} from 'node-mavlink';

export const MAVLINK_V1_STX = 0xfe;
export const MAVLINK_V2_STX = 0xfd;
const V1_HEADER = 6;
const V2_HEADER = 10;
const CHECKSUM = 2;
const SIGNATURE = 13;
const V2_SIGNED_FLAG = 0x01;

/** One packet that passed its length and CRC checks. */
export interface MavlinkPacket {
  version: 1 | 2;
  sysid: number;
  compid: number;
  msgid: number;
  seq: number;
  /** The whole packet, STX to checksum (and signature). */
  bytes: Buffer;
}

export interface MavlinkScanStats {
  packets: number;
  /** Complete packets whose checksum did not match: corrupted, or a dialect that differs from node-mavlink's. */
  crcErrors: number;
  /** Message ids with no CRC extra in node-mavlink's dialects: cannot be checked, so skipped. */
  unknownIds: number;
  /** Bytes skipped while looking for a start byte. */
  skippedBytes: number;
}

export function emptyScanStats(): MavlinkScanStats {
  return { packets: 0, crcErrors: 0, unknownIds: 0, skippedBytes: 0 };
}

/** Length of the packet starting at `at`, or null when `at` is not a start byte or the header is not all there. */
export function packetLength(buf: Buffer, at: number): number | null {
  const stx = buf[at];
  const len = buf[at + 1];
  if (len === undefined) return null;
  if (stx === MAVLINK_V1_STX) return V1_HEADER + len + CHECKSUM;
  if (stx === MAVLINK_V2_STX) {
    const flags = buf[at + 2];
    if (flags === undefined) return null;
    return V2_HEADER + len + CHECKSUM + (flags & V2_SIGNED_FLAG ? SIGNATURE : 0);
  }
  return null;
}

export type CheckOutcome = { ok: true; packet: MavlinkPacket } | { ok: false; why: 'crc' | 'unknown-id' };

/** Checks one complete packet (bytes from STX to the end) against its CRC; the CRC extra comes from node-mavlink. */
export function checkPacket(bytes: Buffer): CheckOutcome {
  const v2 = bytes[0] === MAVLINK_V2_STX;
  const len = bytes[1] as number;
  const msgid = v2 ? (bytes[7] as number) | ((bytes[8] as number) << 8) | ((bytes[9] as number) << 16) : (bytes[5] as number);
  const magic = MSG_ID_MAGIC_NUMBER[msgid];
  if (magic === undefined) return { ok: false, why: 'unknown-id' };
  const headerLen = v2 ? V2_HEADER : V1_HEADER;
  const crcAt = headerLen + len;
  const crc = x25crc(bytes.subarray(0, crcAt + CHECKSUM), 1, CHECKSUM, magic);
  if (crc !== bytes.readUInt16LE(crcAt)) return { ok: false, why: 'crc' };
  return {
    ok: true,
    packet: {
      version: v2 ? 2 : 1,
      seq: bytes[v2 ? 4 : 2] as number,
      sysid: bytes[v2 ? 5 : 3] as number,
      compid: bytes[v2 ? 6 : 4] as number,
      msgid,
      bytes,
    },
  };
}

/**
 * Scans a buffer for packets: each start byte is tried, a packet that fails its CRC is skipped one byte at a time
 * (a 0xFE inside a payload is not a packet). Returns how many bytes at the end belong to an incomplete packet, so a
 * stream reader can keep them for the next chunk; a datagram reader drops them.
 */
export function scanPackets(buf: Buffer, onPacket: (packet: MavlinkPacket) => void, stats: MavlinkScanStats): number {
  let at = 0;
  while (at < buf.length) {
    const stx = buf[at];
    if (stx !== MAVLINK_V1_STX && stx !== MAVLINK_V2_STX) {
      at++;
      stats.skippedBytes++;
      continue;
    }
    const length = packetLength(buf, at);
    if (length === null || at + length > buf.length) return buf.length - at;
    const checked = checkPacket(buf.subarray(at, at + length));
    if (checked.ok) {
      stats.packets++;
      onPacket(checked.packet);
      at += length;
    } else if (checked.why === 'unknown-id') {
      // The length is plausible but unverifiable; skipping one byte keeps us from trusting it.
      stats.unknownIds++;
      stats.skippedBytes++;
      at++;
    } else {
      stats.crcErrors++;
      stats.skippedBytes++;
      at++;
    }
  }
  return 0;
}

// ArduPilot's dialect includes common and minimal; the lookup falls back to them for ids it does not redefine.
const REGISTRIES: Array<Record<number, MavLinkDataConstructor<MavLinkData>>> = [minimal.REGISTRY, common.REGISTRY, ardupilotmega.REGISTRY];

/** The node-mavlink message class for an id, or null when no dialect defines it. */
export function messageClass(msgid: number): MavLinkDataConstructor<MavLinkData> | null {
  for (const registry of REGISTRIES) {
    const clazz = registry[msgid];
    if (clazz) return clazz;
  }
  return null;
}

/** Decodes a checked packet into node-mavlink's message object (64-bit fields are BigInt), or null for unknown ids. */
export function decodePacket(packet: MavlinkPacket): MavLinkData | null {
  const clazz = messageClass(packet.msgid);
  if (!clazz) return null;
  const protocol: MavLinkProtocol = packet.version === 2 ? new MavLinkProtocolV2() : new MavLinkProtocolV1();
  // node-mavlink pads the payload with zeros: v2 trims trailing zeros, v1 lacks extension fields.
  return protocol.data(protocol.payload(packet.bytes), clazz);
}
