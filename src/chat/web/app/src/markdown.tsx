/**
 * Markdown through micromark (CommonMark + GFM). micromark escapes raw HTML and drops unsafe
 * link protocols by default, so its output can go into the DOM as is. Code blocks get a small
 * token highlighter applied to text nodes (no HTML strings involved).
 */
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { useLayoutEffect, useMemo, useRef } from 'react';

const KEYWORDS = new Set(
  'const let var function return if else for while do switch case break continue new class extends import from export default async await try catch finally throw typeof instanceof in of true false null undefined def lambda pass yield with as elif None True False fn pub use mut impl struct enum match type interface package func go defer echo then fi done esac local'.split(
    ' ',
  ),
);
const TOKEN =
  /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|(\b\d+(?:\.\d+)?\b)|(\b[A-Za-z_][A-Za-z0-9_]*\b)/g;

function highlight(code: HTMLElement): void {
  if (code.dataset.highlighted) return;
  code.dataset.highlighted = 'yes';
  const source = code.textContent ?? '';
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of source.matchAll(TOKEN)) {
    const [whole, comment, string, number, word] = match;
    const cls = comment
      ? 'tok-comment'
      : string
        ? 'tok-string'
        : number
          ? 'tok-number'
          : word && KEYWORDS.has(word)
            ? 'tok-keyword'
            : null;
    if (!cls) continue;
    const at = match.index ?? 0;
    if (at > last) out.append(source.slice(last, at));
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = whole;
    out.append(span);
    last = at + whole.length;
  }
  out.append(source.slice(last));
  code.replaceChildren(out);
}

export function Markdown({ text, className }: { text: string; className?: string }) {
  const html = useMemo(() => micromark(text, { extensions: [gfm()], htmlExtensions: [gfmHtml()] }), [text]);
  const ref = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each new render of the HTML
  useLayoutEffect(() => {
    ref.current?.querySelectorAll<HTMLElement>('pre > code').forEach(highlight);
    ref.current?.querySelectorAll<HTMLAnchorElement>('a[href]').forEach((a) => {
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    });
  }, [html]);
  return (
    <div
      ref={ref}
      className={`markdown ${className ?? ''}`}
      // biome-ignore lint/security/noDangerouslySetInnerHtml: micromark escapes raw HTML and drops unsafe URLs by default
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
