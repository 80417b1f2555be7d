import { expect, it } from 'vitest';
import type { StreamDelta } from '../../src/events/schema.js';
import {
  agentMessage,
  collectFollow,
  newSession,
  openPeerOf,
  type StoresFixture,
  textOf,
  userMessage,
  waitFor,
} from './helpers.js';

const delta = (text: string): StreamDelta => ({
  type: 'event_delta',
  event_id: 'sevt_preview',
  delta: { type: 'content_delta', content: { type: 'text', text } },
});

/** `follow` tests of the SessionLog contract; called inside `describeSessionLogContract`. */
export function defineFollowTests(current: () => StoresFixture): void {
  it('follower sees every event appended after it subscribed, no gap, no duplicate', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    await log.append(id, ['old1', 'old2'].map(userMessage));
    const controller = new AbortController();
    const follower = collectFollow(log.follow(id, { after: '$', signal: controller.signal }));
    const appended: string[] = [];
    await Promise.all(
      [0, 1].map(async (w) => {
        for (let i = 0; i < 150; i += 1) {
          const batch =
            i % 10 === 0
              ? [userMessage(`${w}:${i}a`), userMessage(`${w}:${i}b`)]
              : [userMessage(`${w}:${i}`)];
          const stored = await log.append(id, batch);
          appended.push(...stored.map((e) => e.id));
        }
      }),
    );
    await waitFor(() => follower.events().length >= 330, 'follower to receive 330 events');
    controller.abort();
    await follower.done;
    const logged = (await log.read(id)).slice(2);
    expect(follower.events()).toEqual(logged);
    expect(new Set(appended)).toEqual(new Set(logged.map((e) => e.id)));
    expect(follower.failure()).toBeUndefined();
  });

  it('follower that subscribed before an append but iterates later still gets it', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    const controller = new AbortController();
    const iterable = log.follow(id, { after: '$', signal: controller.signal });
    await log.append(id, [userMessage('early')]);
    const follower = collectFollow(iterable);
    await waitFor(() => follower.events().length === 1, 'the early event');
    controller.abort();
    await follower.done;
    expect(follower.events().map(textOf)).toEqual(['early']);
  });

  it('follows from the beginning and from a middle id', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    const first = await log.append(
      id,
      Array.from({ length: 10 }, (_, i) => userMessage(`m${i}`)),
    );
    const controller = new AbortController();
    const fromStart = collectFollow(log.follow(id, { signal: controller.signal }));
    const fromMiddle = collectFollow(log.follow(id, { after: first[4]!.id, signal: controller.signal }));
    for (let i = 10; i < 15; i += 1) await log.append(id, [userMessage(`m${i}`)]);
    await waitFor(
      () => fromStart.events().length === 15 && fromMiddle.events().length === 10,
      'both followers',
    );
    controller.abort();
    await Promise.all([fromStart.done, fromMiddle.done]);
    const all = await log.read(id);
    expect(fromStart.events()).toEqual(all);
    expect(fromMiddle.events()).toEqual(all.slice(5));
  });

  it('ends the iteration when the signal aborts', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    const controller = new AbortController();
    const follower = collectFollow(log.follow(id, { after: '$', signal: controller.signal }));
    await log.append(id, [userMessage('one')]);
    await waitFor(() => follower.events().length === 1, 'first event');
    const abortedAt = Date.now();
    controller.abort();
    await waitFor(() => follower.ended(), 'follower to end after abort', 2000);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(follower.failure()).toBeUndefined();
    await log.append(id, [userMessage('two')]);
    expect(follower.events()).toHaveLength(1);
  });

  it('a follower fails for an unknown session', async () => {
    const { log } = current().stores;
    const iterator = log
      .follow('sesn_missing', { signal: AbortSignal.timeout(2000) })
      [Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a follower in another process sees appends made here', async () => {
    const { stores } = current();
    const peer = await openPeerOf(current());
    try {
      const id = await newSession(stores.log);
      const controller = new AbortController();
      // From the (empty) start, not '$': across two connections "what is stored when follow()
      // is called" has no order with appends made on the other one.
      const follower = collectFollow(peer.log.follow(id, { signal: controller.signal }));
      for (let i = 0; i < 20; i += 1) await stores.log.append(id, [userMessage(`x${i}`)]);
      await waitFor(() => follower.events().length === 20, 'peer follower to see 20 events');
      controller.abort();
      await follower.done;
      expect(follower.events()).toEqual(await stores.log.read(id));
    } finally {
      await peer.close();
    }
  });

  it('delivers live deltas only to followers that ask, and never stores them', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    const controller = new AbortController();
    const withDeltas = collectFollow(log.follow(id, { after: '$', deltas: true, signal: controller.signal }));
    const withoutDeltas = collectFollow(log.follow(id, { after: '$', signal: controller.signal }));
    await log.append(id, [userMessage('question')]);
    await waitFor(() => withDeltas.events().length === 1, 'the question');
    log.publishDelta(id, delta('Hel'));
    log.publishDelta(id, delta('lo'));
    await waitFor(() => withDeltas.items.length === 3, 'two deltas');
    await log.append(id, [agentMessage('Hello')]);
    await waitFor(
      () => withDeltas.items.length === 4 && withoutDeltas.events().length === 2,
      'the final message',
    );
    controller.abort();
    await Promise.all([withDeltas.done, withoutDeltas.done]);
    expect(withDeltas.items.map((i) => (i.kind === 'event' ? textOf(i.event) : i.delta.type))).toEqual([
      'question',
      'event_delta',
      'event_delta',
      'Hello',
    ]);
    expect(withoutDeltas.items.every((i) => i.kind === 'event')).toBe(true);
    expect((await log.read(id)).map(textOf)).toEqual(['question', 'Hello']);
  });

  it('a follower of a deleted session ends', async () => {
    const { log } = current().stores;
    const id = await newSession(log);
    const follower = collectFollow(log.follow(id, { after: '$', signal: AbortSignal.timeout(10_000) }));
    await log.append(id, [userMessage('x')]);
    await waitFor(() => follower.events().length === 1, 'first event');
    await log.deleteSession(id);
    await waitFor(() => follower.ended(), 'follower to end after delete', 3000);
  });
}
