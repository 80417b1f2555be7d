/** The CLI's view of the process: output streams, environment, prompts and Ctrl-C. Injected in tests. */
import { createInterface } from 'node:readline/promises';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** stdin is a terminal a person can answer prompts on. */
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Asks one question; rejects with `PromptInterrupted` on Ctrl-C. */
  prompt(question: string): Promise<string>;
  /** Registers a Ctrl-C handler; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Resolves on SIGINT or SIGTERM (long-running `start`). */
  untilSignal(): Promise<string>;
}

export class PromptInterrupted extends Error {
  constructor() {
    super('prompt interrupted');
    this.name = 'PromptInterrupted';
  }
}

/** Ends a command with an exit code and a message for stderr (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = {
  ok: 0,
  failed: 1,
  /** Bad configuration or usage: missing API key, invalid YAML, unknown agent. */
  config: 2,
  /** The session waits for an approval or a custom tool result and nobody can answer here. */
  needsAction: 3,
  interrupted: 130,
} as const;

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    async prompt(question) {
      const rl = createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: Boolean(process.stdin.isTTY),
      });
      const abort = new AbortController();
      rl.on('SIGINT', () => abort.abort());
      try {
        return await rl.question(question, { signal: abort.signal });
      } catch (error) {
        if (abort.signal.aborted) throw new PromptInterrupted();
        throw error;
      } finally {
        rl.close();
      }
    },
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    untilSignal() {
      return new Promise((resolve) => {
        const done = (signal: string) => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve(signal);
        };
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    },
  };
}
