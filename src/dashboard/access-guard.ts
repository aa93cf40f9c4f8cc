// Who may use the dashboard: the optional access token (query once, then an HttpOnly cookie, or a Bearer header),
// host names checked against DNS rebinding when there is no token, and same-origin only for uploads.
import { createHmac, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const TOKEN_COOKIE = 'fieldeye_dashboard';

export type AccessDecision =
  | { allow: true }
  | { allow: false; status: number; message: string }
  /** The token came in the address: set the cookie and send the browser to the same page without it. */
  | { allow: false; status: 303; location: string; cookie: string; message: string };

function sameSecret(a: string, b: string): boolean {
  // Hash first: timingSafeEqual needs equal lengths, and the hash hides the token's length.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function hostName(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return bracketed[1] as string;
  return hostHeader.replace(/:\d+$/, '');
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * Where to send the browser after the token exchange: always a path on this dashboard. The parser removes `.`
 * segments, so `/.//evil.example/` has the path `//evil.example/`, which a browser reads as another host.
 */
function localLocation(url: URL): string {
  const location = `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`;
  // Anything that still resolves off this host (there should be nothing) goes to the page itself.
  const resolved = new URL(location, 'http://dashboard.invalid');
  return resolved.origin === 'http://dashboard.invalid' ? location : '/';
}

export class AccessGuard {
  /** The cookie carries a MAC of the token under a per-process key, not the token itself; a restart logs pages out. */
  private readonly cookieSecret = randomBytes(32);

  constructor(
    private readonly token: string | null,
    private readonly boundHost: string,
  ) {}

  get tokenRequired(): boolean {
    return this.token !== null;
  }

  check(req: IncomingMessage, url: URL): AccessDecision {
    const host = req.headers.host ?? '';
    // Without a token, a page on another site could rebind its own name to 127.0.0.1 and read the dashboard:
    // only addresses, localhost and the name the dashboard was told to listen on are accepted then.
    const name = hostName(host).toLowerCase();
    if (this.token === null && !(isIP(name) !== 0 || name === 'localhost' || name === this.boundHost.toLowerCase())) {
      return {
        allow: false,
        status: 403,
        message: `host name "${name}" is not accepted without an access token; open the dashboard by its address, or start it with --token`,
      };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin;
      const site = req.headers['sec-fetch-site'];
      if ((origin !== undefined && origin !== `http://${host}`) || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
        return { allow: false, status: 403, message: 'cross-site requests are refused' };
      }
    }
    if (this.token === null) return { allow: true };

    // RFC 7235: the auth scheme is case-insensitive (`bearer T`, `BEARER T`), one or more spaces before the token.
    const bearer = /^bearer +(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && sameSecret(bearer, this.token)) return { allow: true };
    const cookie = cookieValue(req, TOKEN_COOKIE);
    if (cookie !== undefined && sameSecret(cookie, this.cookieFor(this.token))) return { allow: true };
    const query = url.searchParams.get('token');
    if (query !== null && req.method === 'GET' && sameSecret(query, this.token)) {
      const clean = new URL(url);
      clean.searchParams.delete('token');
      return {
        allow: false,
        status: 303,
        location: localLocation(clean),
        cookie: `${TOKEN_COOKIE}=${this.cookieFor(this.token)}; HttpOnly; SameSite=Strict; Path=/`,
        message: 'token accepted',
      };
    }
    return {
      allow: false,
      status: 401,
      message: 'access token required: open the dashboard as http://<address>/?token=<token> (the token it was started with, --token or dashboard.tokenEnv)',
    };
  }

  private cookieFor(token: string): string {
    return createHmac('sha256', this.cookieSecret).update(token).digest('hex');
  }
}
