import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordService, type DiscordService } from '../../../src/chat/discord/index.js';
import { silentLogger } from '../../../src/logging.js';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord/index.js';
import { startTestThreadhand, type TestThreadhand } from '../../helpers/threadhand.js';
import { alice, footers, threadOn, until } from './helpers.js';

let t: TestThreadhand | undefined;
let discord: FakeDiscord | undefined;
const services: DiscordService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  await t?.close();
  await discord?.close();
  t = undefined;
  discord = undefined;
});

describe('Discord with several front doors', () => {
  it('only one holds the gateway; the standby takes over when it stops', async () => {
    discord = await startFakeDiscord();
    t = await startTestThreadhand({
      script: [
        { content: [{ type: 'text', text: 'From the first.' }] },
        { content: [{ type: 'text', text: 'From the second.' }] },
      ],
    });
    const make = () =>
      createDiscordService({
        runtime: t!.th.runtime,
        logger: silentLogger(),
        token: discord!.token,
        apiUrl: discord!.url,
        kv: t!.th.stores.kv,
        config: { throttleMs: 50, channelIntervalMs: 0, gatewayLeaseTtlMs: 1500 },
        rest: { retries: 0 },
      });
    const first = make();
    const second = make();
    services.push(first, second);
    await first.start();
    await second.start();
    expect(discord.connections).toBe(1);
    expect(first.notReady?.()).toBeNull();
    expect(second.notReady?.()).toBeNull();

    const one = discord.postMessage({ user: alice, content: 'first', mentionBot: true });
    await footers(discord, await threadOn(discord, one.message.id));
    expect(t.fake.requests).toHaveLength(1);

    await first.stop();
    await until(() => discord!.connections === 1 && second.client !== null, 5000, 'the standby to connect');
    expect(discord.identifies).toHaveLength(2);
    const two = discord.postMessage({ user: alice, content: 'second', mentionBot: true });
    const threadId = await threadOn(discord, two.message.id);
    await footers(discord, threadId);
    expect(discord.botMessagesIn(threadId)[0]?.content).toBe('From the second.');
    expect(t.fake.requests).toHaveLength(2);
  });

  it('reports the gateway as not ready while it is lost, and serves again once reconnected', async () => {
    discord = await startFakeDiscord();
    t = await startTestThreadhand({ script: [{ content: [{ type: 'text', text: 'Back.' }] }] });
    const service = createDiscordService({
      runtime: t.th.runtime,
      logger: silentLogger(),
      token: discord.token,
      apiUrl: discord.url,
      kv: t.th.stores.kv,
      config: { throttleMs: 50, channelIntervalMs: 0 },
      rest: { retries: 0 },
    });
    services.push(service);
    await service.start();
    expect(service.notReady?.()).toBeNull();

    discord.gatewayOutage(500);
    const problem = await until(
      () => service.notReady?.() ?? undefined,
      1000,
      'readiness to report the drop',
    );
    expect(problem).toMatch(/discord: gateway connection lost/);
    await until(() => service.notReady?.() === null, 15_000, 'the gateway to reconnect');
    expect(discord.identifies.length).toBeGreaterThanOrEqual(2);

    const msg = discord.postMessage({ user: alice, content: 'still there?', mentionBot: true });
    await footers(discord, await threadOn(discord, msg.message.id));
    expect(t.fake.requests).toHaveLength(1);
  });
});
