import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { createBuiltinToolset, isServerTool, webSearchFromEnv } from '../../src/tools/builtin/index.js';
import { agent, environment } from './helpers.js';

const enabled = [
  { type: 'agent_toolset_20260401' as const, configs: [{ name: 'web_search' as const, enabled: true }] },
];

describe('web_search settings from the environment', () => {
  it('defaults to the server tool without a URL and to the backend with one', () => {
    const server = createBuiltinToolset({
      agent: agent(enabled),
      environment: environment(),
      ...webSearchFromEnv({}),
    });
    expect(server.filter(isServerTool).map((t) => t.server)).toEqual([
      { type: 'web_search_20250305', name: 'web_search', max_uses: 5 },
    ]);
    const withUrl = webSearchFromEnv({ THREADHAND_WEB_SEARCH_URL: 'http://127.0.0.1:9/search' });
    const backend = createBuiltinToolset({ agent: agent(enabled), environment: environment(), ...withUrl });
    expect(backend.filter(isServerTool)).toEqual([]);
    expect(backend.find((t) => t.name === 'web_search')?.run).toBeTypeOf('function');
  });

  it('rejects an unknown mode and backend mode without a URL, saying what to do', () => {
    const bad = parseEnv({ ANTHROPIC_API_KEY: 'k', THREADHAND_WEB_SEARCH: 'google' });
    expect(bad.ok ? [] : bad.problems).toEqual(['THREADHAND_WEB_SEARCH must be server, backend or off.']);
    const noUrl = parseEnv({ ANTHROPIC_API_KEY: 'k', THREADHAND_WEB_SEARCH: 'backend' });
    expect(noUrl.ok ? [] : noUrl.problems).toEqual([
      'THREADHAND_WEB_SEARCH is backend but THREADHAND_WEB_SEARCH_URL is not set: set the search endpoint, or use server (Anthropic web search) or off.',
    ]);
  });
});
