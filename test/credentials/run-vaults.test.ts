/**
 * Which vault a session's credentials come from, end to end through the CLI and a real
 * bubblewrap sandbox: `threadhand run --vault NAME` and an environment's `vaults: [NAME]` each
 * get that vault's value injected, not the one of another vault (nor of `default`) defining the
 * same variable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialWorkspace, createCredentialWorkspace, UPSTREAM_HOST } from './cli-session.js';

const stamp = `${Math.random().toString(36).slice(2)}${Date.now()}`;
const DEFAULT_SECRET = `tok_default_${stamp}`;
const ALPHA_SECRET = `tok_alpha_${stamp}`;
const ALPHA_ONLY_SECRET = `tok_alphaonly_${stamp}`;
const BETA_SECRET = `tok_beta_${stamp}`;
const ALL_SECRETS = [DEFAULT_SECRET, ALPHA_SECRET, ALPHA_ONLY_SECRET, BETA_SECRET];

let cw: CredentialWorkspace;

beforeAll(async () => {
  cw = await createCredentialWorkspace();
  const add = async (vault: string, name: string, value: string) => {
    const added = await cw.cli(['vault', 'add', vault, name, '--host', UPSTREAM_HOST, '--value', value]);
    expect(added.err).not.toContain('Error');
    expect(added.code).toBe(0);
  };
  for (const vault of ['default', 'alpha', 'beta'])
    expect((await cw.cli(['vault', 'create', vault])).code).toBe(0);
  await add('default', 'API_TOKEN', DEFAULT_SECRET);
  await add('alpha', 'API_TOKEN', ALPHA_SECRET);
  await add('alpha', 'ALPHA_ONLY', ALPHA_ONLY_SECRET);
  await add('beta', 'API_TOKEN', BETA_SECRET);
  cw.writeEnvironment('with-alpha', 'vaults: [alpha]\n');
}, 60_000);

afterAll(async () => {
  await cw?.close();
});

/** Sends $API_TOKEN to `path` and shows what the sandbox holds for both variables. */
const probe = (path: string) =>
  [
    `curl -sS -H "Authorization: Bearer $API_TOKEN" ${cw.base}${path}; echo "curl_exit=$?"`,
    'echo "api_token=$API_TOKEN"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell default, expanded in the sandbox
    'echo "alpha_only=${ALPHA_ONLY:-unset}"',
  ].join('\n');

describe('the vaults a session gets (real bubblewrap sandbox, real curl)', { timeout: 60_000 }, () => {
  it("run --vault beta injects beta's value, not default's or alpha's", async () => {
    const run = await cw.runBash(probe('/run-vault'), ['--vault', 'beta']);
    expect(run.code).toBe(0);
    expect(run.toolOutput).toContain(`hello from ${UPSTREAM_HOST}`);
    expect(run.toolOutput).toContain('curl_exit=0');
    const received = cw.upstream.requests.filter((r) => r.path === '/run-vault');
    expect(received.map((r) => r.authorization)).toEqual([`Bearer ${BETA_SECRET}`]);
    expect(run.toolOutput).toMatch(/^api_token=threadhand-placeholder-[0-9a-f]{40}$/m);
    // alpha's other variable is not in the session at all.
    expect(run.toolOutput).toContain('alpha_only=unset');
    for (const secret of ALL_SECRETS) expect(run.toolOutput + run.eventsJson).not.toContain(secret);
  });

  it("an environment with vaults: [alpha] injects alpha's values, not default's", async () => {
    const run = await cw.runBash(
      `${probe('/env-vault')}\ncurl -sS -H "X-Alpha: $ALPHA_ONLY" ${cw.base}/env-vault-only >/dev/null; echo "only_exit=$?"`,
      ['--env', 'with-alpha'],
    );
    expect(run.code).toBe(0);
    expect(run.out).toContain('env with-alpha');
    expect(run.toolOutput).toContain('curl_exit=0');
    expect(run.toolOutput).toContain('only_exit=0');
    const received = cw.upstream.requests.filter((r) => r.path === '/env-vault');
    expect(received.map((r) => r.authorization)).toEqual([`Bearer ${ALPHA_SECRET}`]);
    expect(run.toolOutput).toMatch(/^api_token=threadhand-placeholder-[0-9a-f]{40}$/m);
    expect(run.toolOutput).toMatch(/^alpha_only=threadhand-placeholder-[0-9a-f]{40}$/m);
    for (const secret of ALL_SECRETS) expect(run.toolOutput + run.eventsJson).not.toContain(secret);
  });

  it('no session ever sent a value from a vault it was not given, and nothing printed one', () => {
    const byPath = (path: string) => JSON.stringify(cw.upstream.requests.filter((r) => r.path === path));
    for (const secret of [DEFAULT_SECRET, ALPHA_SECRET, ALPHA_ONLY_SECRET])
      expect(byPath('/run-vault')).not.toContain(secret);
    for (const secret of [DEFAULT_SECRET, BETA_SECRET]) expect(byPath('/env-vault')).not.toContain(secret);
    for (const secret of ALL_SECRETS) expect(cw.printed()).not.toContain(secret);
  });
});
