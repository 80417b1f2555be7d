/** Terminal styling: ANSI colours (off when not a TTY or NO_COLOR is set) and a spinner. */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function createStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id, magenta: id };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

/** Whether to colour output: a TTY, and neither NO_COLOR nor TERM=dumb. */
export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Spinner {
  /** Shows (or retitles) the spinner line. */
  start(label: string): void;
  /** Replaces the detail after the label (e.g. the last line of tool output). */
  detail(text: string): void;
  /** Removes the spinner line; the cursor is left at the start of an empty line. */
  stop(): void;
  readonly active: boolean;
}

/** A one-line spinner redrawn in place with `\r`; only meaningful on a TTY. */
export function createSpinner(write: (s: string) => void, style: Style, intervalMs = 80): Spinner {
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let label = '';
  let extra = '';
  let since = 0;
  const columns = () => Math.max(20, (process.stdout.columns ?? 80) - 1);
  const draw = () => {
    const secs = Math.floor((Date.now() - since) / 1000);
    const line = `${FRAMES[frame % FRAMES.length]} ${label}${secs > 0 ? ` (${secs}s)` : ''}${extra ? `  ${extra}` : ''}`;
    write(`\r\x1b[2K${style.cyan(line.slice(0, columns()))}`);
    frame++;
  };
  return {
    start(next) {
      // Plain text: the line is cut to the terminal width, which escape codes would distort.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape codes is the point
      label = next.replace(/\x1b\[[0-9;]*m/g, '');
      extra = '';
      if (!timer) {
        since = Date.now();
        timer = setInterval(draw, intervalMs);
        timer.unref();
      }
      draw();
    },
    detail(text) {
      extra = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      write('\r\x1b[2K');
    },
    get active() {
      return timer !== undefined;
    },
  };
}
