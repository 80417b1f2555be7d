import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../../..');
const manifest = parse(readFileSync(join(root, 'manifests/slack-app.yaml'), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean } };
  features: { slash_commands: Array<{ command: string }> };
};

/** Which bot scope each Web API method the code calls needs. */
const SCOPE_OF: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.startStream': 'chat:write',
  'chat.appendStream': 'chat:write',
  'chat.stopStream': 'chat:write',
  // Slack lists no scope for it: any message the bot can see it can link to.
  'chat.getPermalink': '',
  'reactions.add': 'reactions:write',
  'assistant.threads.setStatus': 'assistant:write',
  'auth.test': '',
};

describe('manifests/slack-app.yaml', () => {
  it('is valid YAML with the scopes for every Web API method the code calls', () => {
    const source = readdirSync(join(root, 'src/chat/slack'))
      .map((f) => readFileSync(join(root, 'src/chat/slack', f), 'utf8'))
      .join('\n');
    const methods = new Set(
      [...source.matchAll(/'((?:chat|reactions|assistant\.threads|auth)\.[a-zA-Z]+)'/g)].map((m) => m[1]!),
    );
    expect(methods.size).toBeGreaterThan(5);
    for (const method of methods) {
      expect(SCOPE_OF, `scope of ${method}`).toHaveProperty([method]);
      const scope = SCOPE_OF[method]!;
      if (scope) expect(manifest.oauth_config.scopes.bot, method).toContain(scope);
    }
  });

  it('subscribes to the events and features the front door handles', () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    for (const e of ['app_mention', 'message.channels', 'message.im', 'reaction_added'])
      expect(events).toContain(e);
    for (const s of ['app_mentions:read', 'channels:history', 'im:history', 'reactions:read', 'commands']) {
      expect(manifest.oauth_config.scopes.bot).toContain(s);
    }
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/threadhand']);
  });
});
