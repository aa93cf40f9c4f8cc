// An independent reading of .tlog files for tests: framing done here, decoding by npm `mavlink` (its own XML definitions, not node-mavlink).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface OracleMessage {
  receivedMs: number;
  sysid: number;
  compid: number;
  msgid: number;
  /** Field names and values as npm `mavlink` decodes them (snake_case, as in the XML). */
  fields: Record<string, number | number[] | string>;
}

interface NpmMavlinkMessage {
  id: number;
  system: number;
  component: number;
}

interface NpmMavlink {
  on(event: 'ready', cb: () => void): void;
  on(event: 'message', cb: (message: NpmMavlinkMessage) => void): void;
  removeAllListeners(event: string): void;
  parse(bytes: Buffer): void;
  decodeMessage(message: NpmMavlinkMessage): Record<string, number | number[] | string>;
}

let instance: Promise<NpmMavlink> | null = null;

/** npm `mavlink` parses its XML definitions asynchronously; one instance serves every test. */
function npmMavlink(): Promise<NpmMavlink> {
  instance ??= new Promise((resolve) => {
    const require = createRequire(import.meta.url);
    const Mavlink = require('mavlink') as new (sysid: number, compid: number) => NpmMavlink;
    const m = new Mavlink(0, 0);
    m.on('ready', () => resolve(m));
  });
  return instance;
}

/** Record boundaries of an all-v1 .tlog, by the simplest rule (8-byte time, 0xFE, length): no resynchronisation. */
export function* v1Records(bytes: Buffer): Generator<{ receivedMs: number; packet: Buffer }> {
  let at = 0;
  while (at + 8 + 2 <= bytes.length) {
    if (bytes[at + 8] !== 0xfe) throw new Error(`not a v1 record at byte ${at}`);
    const end = at + 8 + 6 + (bytes[at + 9] as number) + 2;
    if (end > bytes.length) return;
    yield { receivedMs: Number(bytes.readBigUInt64BE(at)) / 1000, packet: bytes.subarray(at + 8, end) };
    at = end;
  }
}

/** Every message with one of `msgids` in the log, decoded by npm `mavlink` (64-bit fields excepted: it cannot). */
export async function oracleMessages(path: string, msgids: readonly number[]): Promise<OracleMessage[]> {
  const m = await npmMavlink();
  const out: OracleMessage[] = [];
  for (const { receivedMs, packet } of v1Records(readFileSync(path))) {
    if (!msgids.includes(packet[5] as number)) continue;
    let got: NpmMavlinkMessage | null = null;
    m.removeAllListeners('message');
    m.on('message', (message) => (got = message));
    m.parse(packet);
    const message = got as NpmMavlinkMessage | null;
    if (!message) continue; // its checksum disagreed: counted by the caller comparing totals
    out.push({ receivedMs, sysid: message.system, compid: message.component, msgid: message.id, fields: m.decodeMessage(message) });
  }
  return out;
}
