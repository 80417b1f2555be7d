/**
 * Splitting agent text into Discord messages (2000 characters each) without breaking
 * markdown: a code block cut in two is closed at the end of one message and reopened (with
 * its language) at the start of the next; bold/strikethrough are closed and reopened the
 * same way; inline code spans and surrogate pairs are never cut.
 *
 * The split depends only on the text, and a chunk only depends on the text up to its end, so
 * while an answer streams the earlier messages stay stable and only the last one grows.
 */

export const DISCORD_MESSAGE_LIMIT = 2000;

/** Room kept for the closers appended at a cut (`\n```` + `**` + `~~`). */
const CLOSER_ROOM = 10;

const FENCE = /^\s*(```+|~~~+)(.*)$/;

/** The opening line of the code block still open at the end of `text`, or null. */
export function openFence(text: string): string | null {
  let open: { marker: string; line: string } | null = null;
  for (const line of text.split('\n')) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[1] as string;
    if (!open) open = { marker, line: line.trim() };
    else if (
      marker.startsWith(open.marker.slice(0, 3)) &&
      marker.length >= open.marker.length &&
      !match[2]?.trim()
    ) {
      open = null;
    }
  }
  return open?.line ?? null;
}

/** Text outside code blocks and inline code, for counting inline markers. */
function proseOf(text: string): string {
  let inFence = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (!inFence) out.push(line.replace(/`[^`\n]*`/g, ''));
  }
  return out.join('\n');
}

/** Inline markers (`**`, `~~`) left open at the end of `text`, outside code. */
function openInline(text: string): string[] {
  const prose = proseOf(text);
  const open: string[] = [];
  for (const marker of ['**', '~~']) {
    const count = prose.split(marker).length - 1;
    if (count % 2 === 1) open.push(marker);
  }
  return open;
}

/** Where to cut `body` so the head fits `budget`: a paragraph, line or word break if possible. */
function chooseCut(body: string, budget: number, minCut: number): number {
  const window = body.slice(0, budget);
  let cut = budget;
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at > budget / 2 && at + sep.length > minCut) {
      cut = at + sep.length;
      break;
    }
  }
  // Never cut an inline code span: move the cut before its opening backtick.
  if (openFence(body.slice(0, cut)) === null) {
    const lineStart = body.lastIndexOf('\n', cut - 1) + 1;
    const line = body.slice(lineStart, cut).replace(/```+/g, '');
    const ticks = line.split('`').length - 1;
    if (ticks % 2 === 1) {
      const before = body.lastIndexOf('`', cut - 1);
      if (before > minCut) cut = before;
    }
  }
  const code = body.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}

/** Splits text into chunks of at most `limit` characters with markdown balanced in each. */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  const chunks: string[] = [];
  let rest = text;
  let reopen = '';
  for (;;) {
    const body = reopen + rest;
    if (body.length <= limit) {
      if (body.trim().length > 0 || chunks.length === 0) chunks.push(body);
      return chunks;
    }
    const budget = limit - CLOSER_ROOM;
    const cut = chooseCut(body, budget, reopen.length);
    let head = body.slice(0, cut);
    rest = body.slice(cut);
    const fence = openFence(head);
    const inline = openInline(head);
    reopen = '';
    if (fence) {
      head = `${head.replace(/\n+$/, '')}\n${fence.match(/^(```+|~~~+)/)?.[1] ?? '```'}`;
      reopen = `${fence}\n`;
    } else {
      head = head.replace(/\s+$/, '');
      rest = rest.replace(/^\n+/, '');
      if (inline.length > 0) {
        head += [...inline].reverse().join('');
        reopen = inline.join('');
      }
    }
    chunks.push(head);
  }
}
