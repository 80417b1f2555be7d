import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { createTestIo } from '../cli/helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function configDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'threadhand-config-check-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('threadhand config check', () => {
  it('passes on a valid setup with the shipped manifests', async () => {
    const dir = await configDir({
      'agents/coder.yaml': 'name: coder\nmodel: claude-sonnet-4-5\n',
      'agents/environments/default.yaml': 'name: default\n',
    });
    const t = createTestIo({
      ANTHROPIC_API_KEY: 'sk-ant-x',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_AGENT: 'coder',
    });
    const code = await runCli(['--agents-dir', join(dir, 'agents'), 'config', 'check'], t.io);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    expect(t.out()).toContain('Configuration OK');
    expect(t.out()).toContain('slack-app.yaml');
    expect(t.out()).toContain('discord-commands.json');
  });

  it('prints every problem at once and exits 2', async () => {
    const dir = await configDir({
      'agents/coder.yaml': 'name: coder\nmodel: claude-sonnet-4-5\nmax_tokens: -1\n',
      'agents/bad.yaml': 'name: Bad Name\nmodel: x\nunknown_field: 1\n',
      'agents/environments/default.yaml': 'name: default\nprovider: mars\n',
      'manifests/slack-app.yaml': 'display_information: {name: Threadhand}\n',
      'manifests/discord-commands.json': '[{"name": "task"}]',
      'prices.yaml': 'claude-x: {input: -1}\n',
    });
    const t = createTestIo({
      THREADHAND_PORT: 'eighty',
      THREADHAND_REDIS_URL: 'localhost:6379',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_AGENT: 'nobody',
      DISCORD_TOKEN: 'discord-token',
      DISCORD_START_POLICY: 'sometimes',
      THREADHAND_PRICES_FILE: join(dir, 'prices.yaml'),
    });
    const code = await runCli(
      ['--agents-dir', join(dir, 'agents'), 'config', 'check', '--manifests', join(dir, 'manifests')],
      t.io,
    );
    expect(code).toBe(2);
    const err = t.err();
    for (const expected of [
      'THREADHAND_PORT must be a port number',
      'THREADHAND_REDIS_URL must be a redis://',
      'DISCORD_START_POLICY must be everyone or operators',
      'coder.yaml:3: max_tokens',
      'bad.yaml:1: name',
      'unknown_field',
      'default.yaml:2: provider',
      'slack-app.yaml: oauth_config',
      'discord-commands.json: 0.',
      'THREADHAND_PRICES_FILE: ',
    ]) {
      expect(err, expected).toContain(expected);
    }
    expect(err).toMatch(/\d+ problem\(s\) found/);
  });

  it('names chat defaults that point at agents or environments that do not exist', async () => {
    const dir = await configDir({ 'agents/coder.yaml': 'name: coder\nmodel: claude-sonnet-4-5\n' });
    const t = createTestIo({
      ANTHROPIC_API_KEY: 'k',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_AGENT: 'nobody',
    });
    expect(await runCli(['--agents-dir', join(dir, 'agents'), 'config', 'check'], t.io)).toBe(2);
    expect(t.err()).toContain('SLACK_AGENT names "nobody", which is not defined');
  });
});
