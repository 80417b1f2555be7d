/**
 * A fake E2B: control plane (`apiUrl`) and envd (`sandboxUrl`) on two ephemeral loopback
 * ports, for the real `e2b` SDK. Sandboxes are temp directories; their commands run for real
 * under bubblewrap. Point the SDK here with `env` (E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY)
 * or pass `apiUrl`/`sandboxUrl`/`apiKey` as options.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ControlPlaneOptions,
  createControlPlaneHandler,
  type InjectedFailure,
  type LatencySpec,
} from './control-plane.js';
import { createEnvdHandler } from './envd.js';
import { FakeE2BState, type RecordedCall, type SandboxState } from './state.js';

export type { InjectedFailure, LatencySpec, RecordedCall };

export interface FakeE2BOptions extends Partial<ControlPlaneOptions> {}

export interface FakeSandboxView {
  sandboxId: string;
  state: SandboxState;
  templateID: string;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  createBody: Record<string, unknown>;
  /** Host directory behind the sandbox's `/workspace`. */
  workspaceDir: string;
  endAt: Date;
}

export interface FakeE2B {
  apiUrl: string;
  sandboxUrl: string;
  apiKey: string;
  /** The environment variables the SDK reads, pointing at this fake. */
  env: { E2B_API_URL: string; E2B_SANDBOX_URL: string; E2B_API_KEY: string };
  calls: RecordedCall[];
  /** Control-plane calls, e.g. `apiCalls('POST', /^\/v2\/sandboxes$/)` for creates. */
  apiCalls(method?: string, path?: RegExp): RecordedCall[];
  creates(): RecordedCall[];
  envdCalls(path?: RegExp): RecordedCall[];
  sandbox(id: string): FakeSandboxView | undefined;
  sandboxes(): FakeSandboxView[];
  /** The sandbox vanishes behind the client's back (expired, killed from the dashboard). */
  killOutside(id: string): void;
  pauseOutside(id: string): void;
  failNext(failure: InjectedFailure): void;
  setCreateLatency(spec: LatencySpec): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startFakeE2B(options: FakeE2BOptions = {}): Promise<FakeE2B> {
  const state = new FakeE2BState();
  const failures: InjectedFailure[] = [];
  const cpOptions: ControlPlaneOptions = { ...options, apiKey: options.apiKey ?? 'e2b_fake_test_key' };
  const onError = (res: import('node:http').ServerResponse, err: unknown): void => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 500, message: err instanceof Error ? err.message : String(err) }));
  };
  const api = createControlPlaneHandler(state, cpOptions, failures);
  const envd = createEnvdHandler(state);
  const apiServer = createServer((req, res) => void api(req, res).catch((err: unknown) => onError(res, err)));
  const envdServer = createServer(
    (req, res) => void envd(req, res).catch((err: unknown) => onError(res, err)),
  );
  const [apiUrl, sandboxUrl] = await Promise.all([listen(apiServer), listen(envdServer)]);

  const view = (id: string): FakeSandboxView | undefined => {
    const r = state.sandboxes.get(id);
    if (!r) return undefined;
    return {
      sandboxId: r.sandboxId,
      state: r.state,
      templateID: r.templateID,
      metadata: r.metadata,
      envVars: r.envVars,
      createBody: r.createBody,
      workspaceDir: r.host.workspaceDir,
      endAt: r.endAt,
    };
  };
  const apiCalls = (method?: string, path?: RegExp): RecordedCall[] =>
    state.calls.filter(
      (c) => c.service === 'api' && (!method || c.method === method) && (!path || path.test(c.path)),
    );

  return {
    apiUrl,
    sandboxUrl,
    apiKey: cpOptions.apiKey,
    env: { E2B_API_URL: apiUrl, E2B_SANDBOX_URL: sandboxUrl, E2B_API_KEY: cpOptions.apiKey },
    calls: state.calls,
    apiCalls,
    creates: () => apiCalls('POST', /^\/v2\/sandboxes$/),
    envdCalls: (path) => state.calls.filter((c) => c.service === 'envd' && (!path || path.test(c.path))),
    sandbox: view,
    sandboxes: () =>
      [...state.sandboxes.keys()].map((id) => view(id)).filter((v): v is FakeSandboxView => !!v),
    killOutside(id) {
      const r = state.sandboxes.get(id);
      if (r) state.kill(r);
    },
    pauseOutside(id) {
      const r = state.sandboxes.get(id);
      if (r && r.state === 'running') state.pause(r);
    },
    failNext(failure) {
      failures.push(failure);
    },
    setCreateLatency(spec) {
      cpOptions.createLatencyMs = spec;
    },
    async close() {
      state.close();
      await Promise.all([closeServer(apiServer), closeServer(envdServer)]);
    },
  };
}
