/**
 * E2B configuration and failures as a user meets them: the SDK's own environment variables,
 * no Threadhand secret inside the sandbox, egress policy sent to E2B, and E2B errors turned
 * into messages that say what to do.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging.js';
import { createE2BSandboxProvider, type E2BSandboxProvider } from '../../src/sandbox/e2b/index.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { e2bEnvironment, makeE2BProvider, newSessionId } from './e2b-helpers.js';

let fake: FakeE2B;
const providers: E2BSandboxProvider[] = [];
beforeAll(async () => {
  fake = await startFakeE2B({ templates: ['base', 'python-data'] });
});
afterAll(async () => {
  await fake?.close();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

function provider(options: Parameters<typeof makeE2BProvider>[1] = {}) {
  const made = makeE2BProvider(fake, options);
  providers.push(made.provider);
  return made.provider;
}

describe('E2B configuration', () => {
  it('reads E2B_API_KEY, E2B_API_URL and E2B_SANDBOX_URL the way the SDK does', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, fake.env);
    try {
      const p = createE2BSandboxProvider({ logger: silentLogger() });
      providers.push(p);
      const sandbox = await p.get(newSessionId(), e2bEnvironment({ e2b: { template: 'python-data' } }));
      expect((await sandbox.exec('echo via-env')).stdout).toBe('via-env\n');
      expect(fake.creates().at(-1)?.body).toMatchObject({ templateID: 'python-data' });
    } finally {
      for (const key of Object.keys(fake.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it("never shows Threadhand's environment to the sandbox", async () => {
    process.env.THREADHAND_TEST_SECRET = 'sk-do-not-leak';
    try {
      const sandbox = await provider().get(newSessionId(), e2bEnvironment());
      const result = await sandbox.exec('env; echo "[$THREADHAND_TEST_SECRET]"');
      expect(result.stdout).not.toContain('sk-do-not-leak');
      expect(result.stdout).toContain('[]');
      expect(JSON.stringify(fake.creates().at(-1)?.body)).not.toContain('sk-do-not-leak');
    } finally {
      delete process.env.THREADHAND_TEST_SECRET;
    }
  });

  it("maps a limited network policy to E2B's egress rules", async () => {
    const limited = e2bEnvironment({
      networking: {
        type: 'limited',
        allowed_hosts: ['api.github.com', 'https://pypi.org', '.example.com', 'internal:8443'],
      },
    });
    await provider().get(newSessionId(), limited);
    expect(fake.creates().at(-1)?.body).toMatchObject({
      network: {
        denyOut: ['0.0.0.0/0'],
        allowOut: ['api.github.com', 'pypi.org', '*.example.com', 'internal'],
      },
    });
    await provider().get(
      newSessionId(),
      e2bEnvironment({ networking: { type: 'limited', allowed_hosts: [] } }),
    );
    expect(fake.creates().at(-1)?.body).toMatchObject({ allow_internet_access: false });
  });

  it('fails clearly when environment packages cannot be installed, leaving no sandbox behind', async () => {
    const before = fake.sandboxes().length;
    const env = e2bEnvironment({ packages: { go: ['example.com/not-a-real-tool'] } });
    await expect(provider().get(newSessionId(), env)).rejects.toMatchObject({
      code: 'package_install_failed',
      message: expect.stringMatching(/e2b.template/),
    });
    expect(fake.sandboxes().length).toBe(before);
  });
});

describe('E2B errors', () => {
  it('says to fix E2B_API_KEY when the key is rejected', async () => {
    const p = provider({ apiKey: 'e2b_wrong' });
    await expect(p.get(newSessionId(), e2bEnvironment())).rejects.toMatchObject({
      e2bCode: 'e2b_auth_failed',
      code: 'sandbox_failed',
      message: expect.stringMatching(/E2B_API_KEY/),
    });
  });

  it('explains a quota refusal', async () => {
    fake.failNext({
      method: 'POST',
      pathPattern: /^\/v2\/sandboxes$/,
      status: 429,
      message: 'You have reached the maximum number of concurrent E2B sandboxes (20).',
    });
    await expect(provider().get(newSessionId(), e2bEnvironment())).rejects.toMatchObject({
      e2bCode: 'e2b_quota_exceeded',
      message: expect.stringMatching(/quota.*kill sandboxes you no longer need/s),
    });
  });

  it('names a missing template', async () => {
    await expect(
      provider().get(newSessionId(), e2bEnvironment({ e2b: { template: 'nope' } })),
    ).rejects.toMatchObject({
      e2bCode: 'e2b_template_not_found',
      message: expect.stringMatching(/template "nope"/),
    });
  });

  it('says E2B is unreachable and which variables to check', async () => {
    const p = provider({ apiUrl: 'http://127.0.0.1:9', requestTimeoutMs: 2000 });
    await expect(p.get(newSessionId(), e2bEnvironment())).rejects.toMatchObject({
      e2bCode: 'e2b_unavailable',
      message: expect.stringMatching(/E2B_API_URL/),
    });
  });

  it('reports a failed command as a result, not an error', async () => {
    const sandbox = await provider().get(newSessionId(), e2bEnvironment());
    const result = await sandbox.exec('echo partial; exit 42');
    expect(result).toMatchObject({ exitCode: 42, stdout: 'partial\n', timedOut: false, aborted: false });
  });
});
