// The dashboard's listen address as policy: whether only this machine can reach it, and the host a browser opens.
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Only this machine can reach the address; a name other than localhost may resolve to anything, so it is not. */
export function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return /^localhost\.?$/i.test(host);
  // ::ffff:127.0.0.1 (IPv4-mapped) counts as the IPv4 address it carries.
  return LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** The host of the printed address: an IPv6 address needs brackets in a URL, and 0.0.0.0 is not an address to open. */
export function browserHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
}
