/** State shared by the fake control plane and the fake envd: sandboxes and recorded calls. */
import { FakeSandboxHost } from './sandbox-host.js';

export type SandboxState = 'running' | 'paused' | 'killed';

export interface SandboxRecord {
  sandboxId: string;
  templateID: string;
  envdAccessToken: string;
  state: SandboxState;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  /** The create body as sent (network, lifecycle flags...). */
  createBody: Record<string, unknown>;
  autoPause: boolean;
  startedAt: Date;
  endAt: Date;
  host: FakeSandboxHost;
  expiry?: NodeJS.Timeout;
}

export interface RecordedCall {
  service: 'api' | 'envd';
  method: string;
  /** Path without query, e.g. `/v2/sandboxes` or `/process.Process/Start`. */
  path: string;
  sandboxId?: string;
  body?: unknown;
  at: number;
}

export class FakeE2BState {
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly calls: RecordedCall[] = [];
  private seq = 0;

  record(call: Omit<RecordedCall, 'at'>): void {
    this.calls.push({ ...call, at: Date.now() });
  }

  nextId(): string {
    this.seq += 1;
    return `isb${String(this.seq).padStart(4, '0')}${Math.random().toString(36).slice(2, 10)}`;
  }

  newHost(sandboxId: string): FakeSandboxHost {
    return new FakeSandboxHost(sandboxId);
  }

  /** Arms the end-of-life timer: at `endAt` the sandbox is paused (autoPause) or killed. */
  armExpiry(record: SandboxRecord, timeoutSeconds: number): void {
    if (record.expiry) clearTimeout(record.expiry);
    record.endAt = new Date(Date.now() + timeoutSeconds * 1000);
    record.expiry = setTimeout(() => {
      if (record.state !== 'running') return;
      if (record.autoPause) this.pause(record);
      else this.kill(record);
    }, timeoutSeconds * 1000);
    record.expiry.unref();
  }

  pause(record: SandboxRecord): void {
    if (record.expiry) clearTimeout(record.expiry);
    record.state = 'paused';
    record.host.freeze();
  }

  resume(record: SandboxRecord, timeoutSeconds: number): void {
    record.state = 'running';
    record.host.thaw();
    this.armExpiry(record, timeoutSeconds);
  }

  kill(record: SandboxRecord): void {
    if (record.expiry) clearTimeout(record.expiry);
    record.state = 'killed';
    record.host.destroy();
    this.sandboxes.delete(record.sandboxId);
  }

  close(): void {
    for (const record of [...this.sandboxes.values()]) this.kill(record);
  }
}
