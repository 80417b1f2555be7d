import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('SDK session tool runner', () => {
  it('answers a custom tool call through list, stream and send', async () => {
    h = await startApi({
      script: [
        { content: [{ type: 'tool_use', name: 'lookup', input: { q: 'answer' } }] },
        { content: [{ type: 'text', text: 'It is 42.' }] },
      ],
    });
    const { client } = h;
    const agent = await client.beta.agents.create({
      name: 'with custom tool',
      model: 'claude-test',
      tools: [
        {
          type: 'custom',
          name: 'lookup',
          description: 'Looks things up.',
          input_schema: { type: 'object', properties: { q: { type: 'string' } } },
        },
      ],
    });
    const session = await client.beta.sessions.create({ agent: agent.id, environment_id: 'default' });
    const asked: string[] = [];
    const lookup = betaTool({
      name: 'lookup',
      description: 'Looks things up.',
      inputSchema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      run: (input) => {
        asked.push(input.q);
        return '42';
      },
    });
    const runner = client.beta.sessions.events.toolRunner(session.id, { tools: [lookup], maxIdleMs: 300 });
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'what is the answer?' }] }],
    });
    const calls = [];
    for await (const call of runner) calls.push(call);

    expect(asked).toEqual(['answer']);
    expect(calls.map((c) => [c.name, c.posted])).toEqual([['lookup', true]]);
    const events = (await client.beta.sessions.events.list(session.id, { limit: 100 })).data;
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['agent.custom_tool_use', 'user.custom_tool_result', 'agent.message']),
    );
    const last = events.filter((e) => e.type === 'agent.message').at(-1);
    expect(last?.type === 'agent.message' ? last.content : []).toEqual([{ type: 'text', text: 'It is 42.' }]);
  });
});
