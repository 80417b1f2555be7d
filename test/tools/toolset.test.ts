import { describe, expect, it } from 'vitest';
import { createBuiltinToolset } from '../../src/tools/builtin/index.js';
import { agent, environment, text, toolRig } from './helpers.js';

const names = (tools: { name: string }[]) => tools.map((t) => t.name);

describe('createBuiltinToolset', () => {
  it('offers every tool but web_search by default, always_allow', () => {
    const tools = createBuiltinToolset({ agent: agent(), environment: environment() });
    expect(names(tools)).toEqual(['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch']);
    expect(tools.every((t) => t.kind === 'builtin' && t.permission === 'always_allow')).toBe(true);
  });

  it('offers nothing when the agent has no agent_toolset_20260401', () => {
    expect(createBuiltinToolset({ agent: agent([]), environment: environment() })).toEqual([]);
  });

  it('honours per-tool enabled and permission_policy over default_config', () => {
    const tools = createBuiltinToolset({
      agent: agent([
        {
          type: 'agent_toolset_20260401',
          default_config: { enabled: false, permission_policy: { type: 'always_ask' } },
          configs: [
            { name: 'bash', enabled: true },
            { name: 'read', enabled: true, permission_policy: 'always_allow' },
            { name: 'write', enabled: false },
          ],
        },
      ]),
      environment: environment(),
    });
    expect(tools.map((t) => [t.name, t.permission])).toEqual([
      ['bash', 'always_ask'],
      ['read', 'always_allow'],
    ]);
  });

  it('offers web_search with a backend, or when enabled explicitly', () => {
    const backend = { name: 'fake', search: async () => [] };
    expect(
      names(createBuiltinToolset({ agent: agent(), environment: environment(), webSearch: backend })),
    ).toContain('web_search');
    const explicit = agent([
      { type: 'agent_toolset_20260401', configs: [{ name: 'web_search', enabled: true }] },
    ]);
    expect(names(createBuiltinToolset({ agent: explicit, environment: environment() }))).toContain(
      'web_search',
    );
  });

  it('input schemas use the SDK field names', () => {
    const tools = createBuiltinToolset({
      agent: agent(),
      environment: environment(),
      webSearch: { name: 'f', search: async () => [] },
    });
    const fields = Object.fromEntries(
      tools.map((t) => [t.name, Object.keys((t.input_schema.properties ?? {}) as object).sort()]),
    );
    expect(fields).toEqual({
      bash: ['command', 'restart', 'timeout_ms'],
      read: ['file_path', 'view_range'],
      write: ['content', 'file_path'],
      edit: ['file_path', 'new_string', 'old_string', 'replace_all'],
      glob: ['path', 'pattern'],
      grep: ['path', 'pattern'],
      web_fetch: ['url'],
      web_search: ['max_results', 'query'],
    });
    for (const tool of tools) expect(tool.input_schema.type).toBe('object');
  });

  it('bad input is an is_error result naming the field, and provisions nothing', async () => {
    const rig = toolRig();
    try {
      const result = await rig.call('write', { file_path: 42 });
      expect(result.is_error).toBe(true);
      expect(text(result)).toMatch(/Invalid input for write:[\s\S]*file_path/);
      expect(text(result)).toMatch(/content/);
      expect(rig.provider.provisionCount()).toBe(0);
    } finally {
      await rig.close();
    }
  });

  it('a sandbox that cannot start (missing apt package) is an is_error with the install command', async () => {
    const rig = toolRig({ environment: environment({ packages: { apt: ['threadhand-no-such-package'] } }) });
    try {
      const result = await rig.call('bash', { command: 'echo hi' });
      expect(result.is_error).toBe(true);
      expect(text(result)).toContain('threadhand-no-such-package');
      expect(text(result)).toContain('apt-get install -y threadhand-no-such-package');
      expect(rig.provider.provisionCount()).toBe(0);
    } finally {
      await rig.close();
    }
  });

  it('without bubblewrap, tools say what to install instead of crashing', async () => {
    const rig = toolRig({ bwrapPath: '/nonexistent/bwrap' });
    try {
      const result = await rig.call('bash', { command: 'echo hi' });
      expect(result.is_error).toBe(true);
      expect(text(result)).toMatch(
        /bubblewrap \(bwrap\), which is not installed: sudo apt-get install -y bubblewrap/,
      );
      expect(rig.provider.provisionCount()).toBe(0);
    } finally {
      await rig.close();
    }
  });
});
