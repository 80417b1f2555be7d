import { afterEach, describe, expect, it } from 'vitest';
import { openFence, splitMessage } from '../../../src/chat/discord/split.js';
import { alice, type DiscordStack, footers, startDiscordStack, threadOn } from './helpers.js';

const fencesBalanced = (chunk: string) => openFence(chunk) === null;

describe('splitMessage', () => {
  it('leaves short text alone', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
  });

  it('splits at paragraph breaks under the limit', () => {
    const para = 'word '.repeat(150).trim();
    const text = [para, para, para].join('\n\n');
    const chunks = splitMessage(text, 2000);
    expect(chunks.length).toBe(2);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(2000);
    expect(chunks.join('\n\n')).toBe(text);
  });

  it('closes a code block at a cut and reopens it with its language', () => {
    const code = Array.from({ length: 200 }, (_, i) => `console.log("line ${i}");`).join('\n');
    const text = `Here is the script:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const chunks = splitMessage(text, 2000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(fencesBalanced(c)).toBe(true);
    }
    expect(chunks[1]?.startsWith('```ts\n')).toBe(true);
    // Every code line survives, once.
    const all = chunks.join('\n');
    for (let i = 0; i < 200; i++) expect(all.split(`console.log("line ${i}");`).length).toBe(2);
    expect(chunks.at(-1)?.endsWith('That is all.')).toBe(true);
  });

  it('keeps bold and inline code whole', () => {
    const text = `${'a '.repeat(900)}**${'bold '.repeat(60)}** and \`${'x'.repeat(30)}\``;
    const chunks = splitMessage(text, 2000);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect((c.match(/\*\*/g) ?? []).length % 2).toBe(0);
      expect((c.match(/`/g) ?? []).length % 2).toBe(0);
    }
  });

  it('cuts a single endless word and never splits a surrogate pair', () => {
    const text = '😀'.repeat(1500);
    const chunks = splitMessage(text, 2000);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(c).not.toMatch(/[\ud800-\udbff]$/);
    }
    expect(chunks.join('')).toBe(text);
  });

  it('keeps earlier chunks stable as the text grows (streaming)', () => {
    const base = Array.from({ length: 120 }, (_, i) => `line number ${i} of the answer`).join('\n');
    const a = splitMessage(base, 2000);
    const b = splitMessage(`${base}\nmore text arriving`, 2000);
    expect(b.slice(0, a.length - 1)).toEqual(a.slice(0, -1));
  });
});

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('Discord: long answers', () => {
  it('continue in new messages of at most 2000 characters with code blocks balanced', async () => {
    const code = Array.from({ length: 150 }, (_, i) => `print("row number ${i}")`).join('\n');
    const answer = `${'Intro sentence here. '.repeat(60)}\n\n\`\`\`python\n${code}\n\`\`\`\n\nDone.`;
    expect(answer.length).toBeGreaterThan(4000);
    stack = await startDiscordStack({
      script: [{ content: [{ type: 'text', text: answer }], chunkSize: 400, chunkDelayMs: 20 }],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'print rows', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    const parts = discord.botMessagesIn(threadId).filter((m) => !m.content.startsWith('-#'));
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.content.length).toBeLessThanOrEqual(2000);
      expect(openFence(part.content)).toBeNull();
    }
    // Every message any revision ever showed was accepted by Discord (no 400s).
    expect(discord.calls.filter((c) => c.status === 400)).toEqual([]);
    const shown = parts.map((p) => p.content).join('\n');
    for (let i = 0; i < 150; i++) expect(shown).toContain(`print("row number ${i}")`);
    expect(parts.at(-1)?.content.endsWith('Done.')).toBe(true);
  });
});
