/** Short, human-sized descriptions of tool calls and their output, shared by all chat surfaces. */

const SUMMARY_FIELDS = ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'message'] as const;

/** The one line a person needs to judge a tool call: the command, the path, the query, … */
export function summarizeToolInput(name: string, input: Record<string, unknown>, max = 300): string {
  for (const field of SUMMARY_FIELDS) {
    const value = input[field];
    if (typeof value === 'string' && value.length > 0) {
      const extra = name === 'grep' && typeof input.path === 'string' ? ` in ${input.path}` : '';
      return truncate(`${value}${field === 'pattern' ? extra : ''}`, max);
    }
  }
  const json = JSON.stringify(input);
  return truncate(json === '{}' ? '' : json, max);
}

/** Keeps the end of a long output (the end is where errors and results are). */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `…${text.slice(text.length - max + 1)}`;
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

/** Exit code reported in a tool result's text (`exit code: 1`, `Exit code 2`, `exited with code 3`). */
export function parseExitCode(text: string): number | undefined {
  const match =
    /exit(?:ed with)?[ _]code[:=]?\s*(-?\d+)/i.exec(text) ?? /"exit_code"\s*:\s*(-?\d+)/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Splits text for a message size limit, preferring a paragraph, line or word boundary. */
export function splitAt(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const window = text.slice(0, limit);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at > limit / 2) return at + sep.length;
  }
  return limit;
}
