import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestThreadhand, type TestThreadhand } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('README script', () => {
  it('creates a session, sends a message and reads the streamed answer through createThreadhand', async () => {
    t = await startTestThreadhand({
      agents: [{ name: 'default', model: 'claude-test' }],
      script: [{ content: [{ type: 'text', text: 'Hello from your own agent runtime!' }], chunkSize: 4 }],
      http: { host: '127.0.0.1', port: 0 },
      env: { THREADHAND_API_KEYS: 'readme-key' },
    });
    const url = t.th.http?.url as string;

    // --- the script in README.md "HTTP API", verbatim apart from the URL and key ---
    const client = new Anthropic({ baseURL: url, apiKey: 'readme-key' });
    const session = await client.beta.sessions.create({
      agent: 'default',
      environment_id: 'default',
      title: 'README demo',
    });
    const stream = await client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] });
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'Say hello.' }] }],
    });
    let answer = '';
    for await (const event of stream) {
      if (event.type === 'event_delta') answer += event.delta.content.text;
      if (event.type === 'session.status_idle') break;
    }
    // --- end of script ---

    expect(answer).toBe('Hello from your own agent runtime!');
    const wrongKey = new Anthropic({ baseURL: url, apiKey: 'nope', maxRetries: 0 });
    await expect(wrongKey.beta.sessions.retrieve(session.id)).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });
});
