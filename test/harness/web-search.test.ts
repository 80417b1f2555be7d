// web_search end to end: Threadhand built by createThreadhand with its default tool sources and
// web search settings from environment variables, the official SDK against the fake Messages
// API over HTTP/SSE, and (for the backend) a real local HTTP search endpoint.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../src/config/schema.js';
import type { SessionEvent } from '../../src/events/schema.js';
import type { FakeCitation, FakeTurn, FakeWebSearchResult } from '../fakes/anthropic/types.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
let backend: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  if (backend) await new Promise<void>((resolve) => backend!.close(() => resolve()));
  backend = undefined;
});

// biome-ignore lint/suspicious/noExplicitAny: Messages API request bodies as the fake recorded them
type Body = any;

const searchAgent = (model: string, explicit = true): AgentConfigInput => ({
  name: 'searcher',
  model,
  tools: [
    explicit
      ? { type: 'agent_toolset_20260401', configs: [{ name: 'web_search', enabled: true }] }
      : { type: 'agent_toolset_20260401' },
  ],
});

/** Threadhand with the production tool sources (built-ins from env, MCP), no sandbox. */
async function start(agent: AgentConfigInput, env: Record<string, string>, script: FakeTurn[]) {
  t = await startTestThreadhand({ agents: [agent], env, toolSources: undefined, script });
  return t;
}

async function runToIdle(th: TestThreadhand, first: string): Promise<{ id: string; events: SessionEvent[] }> {
  const session = await th.th.runtime.createSession({ initialEvents: [text(first)] });
  await th.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
  return { id: session.id, events: await th.events(session.id) };
}

const toolNamed = (body: Body, name: string) =>
  (body.tools as { name: string }[] | undefined)?.find((tool) => tool.name === name);

const resultText = (events: SessionEvent[]) => {
  const result = events.find((e) => e.type === 'agent.tool_result');
  if (result?.type !== 'agent.tool_result') throw new Error('no agent.tool_result in the log');
  return {
    isError: result.is_error,
    text: (result.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''),
  };
};

describe("web_search with Anthropic's server-side tool", () => {
  const hit: FakeWebSearchResult = {
    type: 'web_search_result',
    url: 'https://threadhand.dev/releases/1.0',
    title: 'Threadhand 1.0 released',
    encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2YSDPz2',
    page_age: 'April 30, 2026',
  };
  const citation: FakeCitation = {
    type: 'web_search_result_location',
    url: hit.url,
    title: hit.title,
    encrypted_index: 'Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm',
    cited_text: 'Threadhand 1.0 is out today.',
  };
  // What the API streams: the search call, its result and cited text, exactly as the wire has them.
  const wireSearch = {
    type: 'server_tool_use',
    id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE',
    name: 'web_search',
    input: { query: 'threadhand latest release' },
    caller: { type: 'direct' },
  };
  const wireResult = {
    type: 'web_search_tool_result',
    tool_use_id: wireSearch.id,
    content: [hit],
    caller: { type: 'direct' },
  };

  it('sends the server tool, keeps the search blocks in the log and replays them unchanged', async () => {
    const th = await start(searchAgent('claude-sonnet-4-6'), {}, [
      {
        content: [
          { type: 'text', text: "I'll search for that." },
          { type: 'server_tool_use', id: wireSearch.id, name: 'web_search', input: wireSearch.input },
          { type: 'web_search_tool_result', tool_use_id: wireSearch.id, content: [hit] },
          { type: 'text', text: 'Threadhand 1.0 is out.', citations: [citation] },
        ],
        usage: { server_tool_use: { web_search_requests: 1 } },
      },
      { content: [{ type: 'text', text: 'It came out on April 30.' }] },
    ]);
    const session = await th.th.runtime.createSession({
      initialEvents: [text('what is new in threadhand?')],
    });
    await th.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });

    // The first request offers Anthropic's tool, not a client tool named web_search.
    const first = th.fake.requests[0]!.body as Body;
    const tool = toolNamed(first, 'web_search') as Record<string, unknown>;
    expect(tool).toMatchObject({ type: 'web_search_20250305', name: 'web_search', max_uses: 5 });
    expect(tool).not.toHaveProperty('input_schema');

    const events = await th.events(session.id);
    const messages = events.filter((e) => e.type === 'agent.message');
    // The search blocks travel with the text that cites them; the text keeps its citations.
    expect(messages.map((m) => m.content)).toEqual([
      [{ type: 'text', text: "I'll search for that." }],
      [wireSearch, wireResult, { type: 'text', text: 'Threadhand 1.0 is out.', citations: [citation] }],
    ]);
    const end = events.findLast((e) => e.type === 'span.model_request_end');
    expect(end?.type === 'span.model_request_end' && end.model_usage).toMatchObject({
      server_tool_use: { web_search_requests: 1 },
    });
    expect(events.some((e) => e.type === 'agent.tool_use' || e.type === 'agent.tool_result')).toBe(false);

    await th.th.runtime.send(session.id, [text('when was that?')]);
    await until(
      () => th.fake.requests.length >= 2 && th.fake.requests[1]!.completed,
      10_000,
      'second request',
    );
    await th.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
    const second = th.fake.requests[1]!.body as Body;
    expect(second.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: "I'll search for that." },
        wireSearch,
        wireResult,
        { type: 'text', text: 'Threadhand 1.0 is out.', citations: [citation] },
      ],
    });
    expect(second.messages[2].content.at(-1)).toMatchObject({ type: 'text', text: 'when was that?' });
    const answers = (await th.events(session.id)).filter((e) => e.type === 'agent.message');
    expect(answers.at(-1)?.content).toEqual([{ type: 'text', text: 'It came out on April 30.' }]);
  });

  it('a turn the API pauses (pause_turn) is sent back at once and continues to the answer', async () => {
    const th = await start(searchAgent('claude-sonnet-4-6'), {}, [
      {
        content: [
          { type: 'server_tool_use', id: wireSearch.id, name: 'web_search', input: wireSearch.input },
          { type: 'web_search_tool_result', tool_use_id: wireSearch.id, content: [hit] },
        ],
        stop_reason: 'pause_turn',
      },
      { content: [{ type: 'text', text: 'Threadhand 1.0 is out.' }] },
    ]);
    const { events } = await runToIdle(th, 'what is new in threadhand?');
    expect(th.fake.requests).toHaveLength(2);
    // The paused content goes back as the assistant's last turn, and the run goes on.
    const second = th.fake.requests[1]!.body as Body;
    expect(second.messages.at(-1)).toEqual({ role: 'assistant', content: [wireSearch, wireResult] });
    expect(events.filter((e) => e.type === 'session.status_idle')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    const answers = events.filter((e) => e.type === 'agent.message');
    expect(answers.at(-1)?.content).toEqual([{ type: 'text', text: 'Threadhand 1.0 is out.' }]);
  });

  it('is not used for models without server-side search, nor when each search needs approval', async () => {
    const th = await start(searchAgent('claude-3-haiku-20240307'), {}, [
      { content: [{ type: 'text', text: 'ok' }] },
    ]);
    await runToIdle(th, 'hi');
    expect(toolNamed(th.fake.requests[0]!.body, 'web_search')).toHaveProperty('input_schema');
    await t!.close();

    const asking: AgentConfigInput = {
      name: 'asker',
      model: 'claude-sonnet-4-6',
      tools: [
        {
          type: 'agent_toolset_20260401',
          configs: [{ name: 'web_search', enabled: true, permission_policy: 'always_ask' }],
        },
      ],
    };
    const th2 = await start(asking, {}, [{ content: [{ type: 'text', text: 'ok' }] }]);
    await runToIdle(th2, 'hi');
    expect(toolNamed(th2.fake.requests[0]!.body, 'web_search')).toHaveProperty('input_schema');
  });
});

describe('web_search through a search backend (THREADHAND_WEB_SEARCH_URL)', () => {
  async function startBackend(
    answer: (req: IncomingMessage) => { status: number; body: unknown },
  ): Promise<{ url: string; seen: { url: string; auth?: string }[] }> {
    const seen: { url: string; auth?: string }[] = [];
    backend = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      const { status, body } = answer(req);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => backend!.listen(0, '127.0.0.1', () => resolve()));
    return { url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, seen };
  }

  it('offers the client tool, queries the backend and returns its results to the model', async () => {
    const search = await startBackend(() => ({
      status: 200,
      body: {
        results: [
          { title: 'Threadhand', url: 'https://threadhand.dev', content: 'Self-hosted runtime\n for agents' },
          { title: 'Threadhand on GitHub', url: 'https://github.com/threadhand/threadhand' },
          { title: 'Third', url: 'https://example.com/3' },
        ],
      },
    }));
    const th = await start(
      searchAgent('claude-sonnet-4-6', false),
      {
        THREADHAND_WEB_SEARCH_URL: `${search.url}/search?format=json`,
        THREADHAND_WEB_SEARCH_KEY: 'sk-search',
      },
      [
        {
          content: [{ type: 'tool_use', name: 'web_search', input: { query: 'threadhand', max_results: 2 } }],
        },
        { content: [{ type: 'text', text: 'Found it.' }] },
      ],
    );
    const { events } = await runToIdle(th, 'find threadhand');

    const tool = toolNamed(th.fake.requests[0]!.body, 'web_search') as Record<string, unknown>;
    expect(tool).toHaveProperty('input_schema');
    expect(tool).not.toHaveProperty('type');
    expect(search.seen).toHaveLength(1);
    const query = new URL(search.seen[0]!.url, 'http://x').searchParams;
    expect(Object.fromEntries(query)).toEqual({ format: 'json', q: 'threadhand', count: '2' });
    expect(search.seen[0]!.auth).toBe('Bearer sk-search');

    const result = resultText(events);
    expect(result.isError).toBe(false);
    expect(result.text).toBe(
      '1. Threadhand\n   https://threadhand.dev\n   Self-hosted runtime for agents\n' +
        '2. Threadhand on GitHub\n   https://github.com/threadhand/threadhand',
    );
    // The model sees exactly that on its next request.
    const replayed = JSON.stringify(th.fake.requests[1]!.body.messages);
    expect(replayed).toContain('https://github.com/threadhand/threadhand');
    expect(replayed).not.toContain('https://example.com/3');
  });

  it('turns a failing backend into an error result the model can read', async () => {
    const search = await startBackend(() => ({ status: 503, body: { error: 'down' } }));
    const th = await start(
      searchAgent('claude-sonnet-4-6', false),
      { THREADHAND_WEB_SEARCH_URL: search.url },
      [
        { content: [{ type: 'tool_use', name: 'web_search', input: { query: 'threadhand' } }] },
        { content: [{ type: 'text', text: 'Search is down.' }] },
      ],
    );
    const { events } = await runToIdle(th, 'find threadhand');
    const result = resultText(events);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^web_search failed: the search backend 127\.0\.0\.1:\d+ answered HTTP 503/);
  });
});

describe('web_search switched off', () => {
  it('answers with a clear error when THREADHAND_WEB_SEARCH=off', async () => {
    const th = await start(searchAgent('claude-sonnet-4-6'), { THREADHAND_WEB_SEARCH: 'off' }, [
      { content: [{ type: 'tool_use', name: 'web_search', input: { query: 'threadhand' } }] },
      { content: [{ type: 'text', text: 'No search here.' }] },
    ]);
    const { events } = await runToIdle(th, 'find threadhand');
    const tool = toolNamed(th.fake.requests[0]!.body, 'web_search') as Record<string, unknown>;
    expect(tool).not.toHaveProperty('type');
    const result = resultText(events);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^web_search is not available: .*no search backend configured/);
  });

  it('is not offered by default without a backend, even to Claude models', async () => {
    const th = await start(searchAgent('claude-sonnet-4-6', false), {}, [
      { content: [{ type: 'text', text: 'ok' }] },
    ]);
    await runToIdle(th, 'hi');
    expect(toolNamed(th.fake.requests[0]!.body, 'web_search')).toBeUndefined();
  });
});
