// Removes credentials from URLs before they reach a log line, a summary, a health report or an error message.

/** The URL as it may appear anywhere a person or a log can read it: an embedded user password becomes `redacted`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'redacted';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:redacted@');
  }
}

/** Every URL with credentials inside free text (an error message, a config dump) redacted the same way. */
export function redactUrlsIn(text: string): string {
  // A quote ends a URL inside JSON text: a URL holds none unencoded (RFC 3986), so it never ends a password early.
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/"']*):([^\s@/"']*)@/gi, '$1$2:redacted@');
}
