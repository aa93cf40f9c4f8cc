// Counts and keeps the newest payloads the dashboard refused, as short escaped excerpts: an operator sees that
// something sent garbage (or markup) without the garbage ever reaching the page as anything but text.
import type { DiagnosticEntry, DiagnosticsView } from './dashboard-types.js';

const EXCERPT_CHARS = 200;
const TOPIC_CHARS = 160;
const DETAIL_CHARS = 400;

/** Control characters (C0, DEL, C1) and lone surrogates become visible \u escapes; the rest stays as text. */
export function printableExcerpt(payload: Buffer, maxChars = EXCERPT_CHARS): string {
  const text = payload.subarray(0, maxChars * 4).toString('utf8');
  const chars = Array.from(text);
  const shown = chars
    .slice(0, maxChars)
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0xd800 && code <= 0xdfff) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    })
    .join('');
  return chars.length > maxChars || payload.length > maxChars * 4 ? `${shown}…` : shown;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export class DiagnosticsLog {
  private malformed = 0;
  private ignored = 0;
  private readonly recent: DiagnosticEntry[] = [];

  constructor(private readonly keep: number) {}

  add(kind: 'malformed' | 'ignored', topic: string, problem: string, detail: string, payload: Buffer): void {
    if (kind === 'malformed') this.malformed++;
    else this.ignored++;
    this.recent.unshift({
      at: new Date().toISOString(),
      topic: clip(printableExcerpt(Buffer.from(topic), TOPIC_CHARS), TOPIC_CHARS),
      problem,
      detail: clip(detail, DETAIL_CHARS),
      excerpt: printableExcerpt(payload),
      bytes: payload.length,
    });
    if (this.recent.length > this.keep) this.recent.length = this.keep;
  }

  view(): DiagnosticsView {
    return { malformed: this.malformed, ignored: this.ignored, recent: [...this.recent] };
  }
}
