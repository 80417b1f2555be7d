import type { Logger } from '../../logging.js';

/**
 * Where the SDK talks. Every field is optional: an absent one falls back to what the SDK reads
 * itself (`E2B_API_KEY`, `E2B_DOMAIN`, `E2B_API_URL`, `E2B_SANDBOX_URL`), never to a value of ours.
 */
export interface E2BConnection {
  apiKey?: string;
  domain?: string;
  apiUrl?: string;
  sandboxUrl?: string;
  requestTimeoutMs?: number;
}

/** What happened to a session's sandbox; `recreated` carries a notice for the session log. */
export interface E2BSandboxEvent {
  type: 'created' | 'reconnected' | 'resumed' | 'paused' | 'recreated' | 'killed';
  sessionId: string;
  sandboxId: string;
  /** For `recreated`: the sandbox that vanished. */
  previousSandboxId?: string;
  /** For `recreated`: a sentence to show the user. */
  message?: string;
  /** For `paused` and `killed`: seconds the sandbox ran since it last started or resumed. */
  activeSeconds?: number;
}

export interface E2BSandboxProviderOptions extends E2BConnection {
  logger: Logger;
  /** The sandbox id recorded for a session (session log / KV), so any replica reconnects. */
  resolveSandboxId?(sessionId: string): Promise<string | undefined> | string | undefined;
  /** Called when a session gets a new sandbox (first create or re-create): record the id. */
  onSandboxCreated?(sessionId: string, sandboxId: string): Promise<void> | void;
  /** Called after `destroy` killed a session's sandbox: forget the recorded id. */
  onSandboxDestroyed?(sessionId: string, sandboxId: string): Promise<void> | void;
  /** Lifecycle notices (paused, resumed, recreated...). Must not throw. */
  onEvent?(event: E2BSandboxEvent): void;
  /** Overrides every environment's `idle_pause_seconds` (tests, benchmarks). */
  idlePauseMs?: number;
  /** Pause running sandboxes on `close()` instead of leaving them to their E2B timeout; default true. */
  pauseOnClose?: boolean;
}
