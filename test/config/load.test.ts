import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadAgents, loadConfigDir, loadEnvironments } from '../../src/config/load.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'threadhand-config-'));
  await mkdir(join(dir, 'environments'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problems(run: () => Promise<unknown>): Promise<string[]> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).message.split('\n');
}

describe('loading agent and environment YAML', () => {
  it('loads the shipped agents/ directory', async () => {
    const { agents, environments } = await loadConfigDir('agents');
    const agent = agents.find((a) => a.name === 'default');
    expect(agent?.model).toBeTruthy();
    expect(agent?.system).toMatch(/engineer/);
    const toolset = agent?.tools.find((t) => t.type === 'agent_toolset_20260401');
    expect(toolset?.type === 'agent_toolset_20260401' && toolset.configs?.map((c) => c.name)).toEqual([
      'bash',
      'read',
      'write',
      'edit',
      'glob',
      'grep',
      'web_fetch',
      'web_search',
    ]);
    expect(environments.map((e) => [e.name, e.provider])).toEqual(
      expect.arrayContaining([
        ['default', 'local'],
        ['e2b-example', 'e2b'],
      ]),
    );
    expect(environments.find((e) => e.name === 'default')?.networking).toEqual({ type: 'unrestricted' });
  });

  it('reports several problems at once with file:line: field: message', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      [
        'name: Bad Name', // 1
        'model: 42', // 2
        'tools:', // 3
        '  - type: agent_toolset_20260401', // 4
        '    configs:', // 5
        '      - name: bash', // 6
        '        permission_policy: sometimes', // 7
        '      - name: shell', // 8
        '  - type: custom', // 9
        '    name: lookup', // 10
        '  - type: mystery', // 11
        'max_tokens: -3', // 12
        'colour: blue', // 13
        '',
      ].join('\n'),
    );
    const lines = await problems(() => loadAgents(dir));
    expect(lines).toEqual(
      [
        'bad.yaml:1: name: use lower-case letters, digits, "-" or "_" (got "Bad Name")',
        'bad.yaml:2: model: expected string or object, got number 42',
        'bad.yaml:7: tools[0].configs[0].permission_policy: must be one of always_allow, always_ask (got "sometimes")',
        'bad.yaml:8: tools[0].configs[1].name: must be one of bash, read, write, edit, glob, grep, web_fetch, web_search (got "shell")',
        'bad.yaml:9: tools[1].description: is required (expected string)',
        'bad.yaml:9: tools[1].input_schema: is required (expected object)',
        'bad.yaml:11: tools[2].type: must be one of agent_toolset_20260401, mcp_toolset, custom (got "mystery")',
        'bad.yaml:12: max_tokens: must be greater than 0 (got number -3)',
        'bad.yaml:13: colour: unknown field (check the spelling; see docs/agents.md for the fields)',
      ].map((l) => `${join(dir, l.split(':')[0] ?? '')}:${l.split(':').slice(1).join(':')}`),
    );
  });

  it('points a missing required field at its nearest parent', async () => {
    await writeFile(join(dir, 'a.yaml'), 'description: no name or model here\n');
    await writeFile(
      join(dir, 'b.yaml'),
      '# comment\n\nname: b\nmodel: claude-x\nmcp_servers:\n  - type: url\n    url: nope\n',
    );
    const lines = await problems(() => loadAgents(dir));
    expect(lines).toEqual([
      `${join(dir, 'a.yaml')}:1: name: is required (expected string)`,
      `${join(dir, 'a.yaml')}:1: model: expected string or object, got nothing`,
      `${join(dir, 'b.yaml')}:6: mcp_servers[0].name: is required (expected string)`,
      `${join(dir, 'b.yaml')}:7: mcp_servers[0].url: must be a URL (got "nope")`,
    ]);
  });

  it('reports YAML syntax errors with their line, and empty files', async () => {
    await writeFile(join(dir, 'broken.yaml'), 'name: x\nmodel: [unclosed\nsystem: hi\n');
    await writeFile(join(dir, 'dup-key.yaml'), 'name: y\nmodel: m\nname: z\n');
    await writeFile(join(dir, 'empty.yml'), '# nothing\n');
    const lines = await problems(() => loadAgents(dir));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^${join(dir, 'broken.yaml')}:\\d+: YAML syntax error: `));
    expect(lines[1]).toMatch(new RegExp(`^${join(dir, 'dup-key.yaml')}:3: YAML syntax error: .*unique`));
    expect(lines[2]).toBe(
      `${join(dir, 'empty.yml')}:1: the file is empty; expected a mapping with at least \`name\``,
    );
  });

  it('rejects duplicate names across files, naming both places', async () => {
    await writeFile(join(dir, 'environments', 'one.yaml'), 'name: shared\nprovider: local\n');
    await writeFile(
      join(dir, 'environments', 'two.yaml'),
      '# same name again\nprovider: e2b\nname: shared\n',
    );
    const lines = await problems(() => loadEnvironments(join(dir, 'environments')));
    expect(lines).toEqual([
      `${join(dir, 'environments', 'two.yaml')}:3: name: environment "shared" is already defined in ${join(dir, 'environments', 'one.yaml')}:1; names must be unique`,
    ]);
  });

  it('lists agent and environment problems together; a missing directory is empty', async () => {
    await writeFile(join(dir, 'a.yaml'), 'name: a\n');
    await writeFile(join(dir, 'environments', 'e.yaml'), 'name: e\nprovider: mars\n');
    const lines = await problems(() => loadConfigDir(dir));
    expect(lines).toEqual([
      `${join(dir, 'a.yaml')}:1: model: expected string or object, got nothing`,
      `${join(dir, 'environments', 'e.yaml')}:2: provider: must be one of local, e2b (got "mars")`,
    ]);
    expect(await loadAgents(join(dir, 'nope'))).toEqual([]);
  });

  it('applies schema defaults and shows paths relative to the working directory', async () => {
    await writeFile(join(dir, 'ok.yaml'), 'name: ok\nmodel: { id: claude-x, effort: high }\n');
    const [agent] = await loadAgents(dir);
    expect(agent).toMatchObject({
      name: 'ok',
      model: { id: 'claude-x', effort: 'high' },
      tools: [],
      max_tokens: 8192,
    });
    const local = await mkdtemp(join('test', 'config', 'tmp-'));
    try {
      await writeFile(join(local, 'x.yaml'), 'name: x\n');
      const lines = await problems(() => loadAgents(local));
      expect(lines).toEqual([`${join(local, 'x.yaml')}:1: model: expected string or object, got nothing`]);
      expect(lines[0]?.startsWith('test/config/tmp-')).toBe(true);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });
});
