import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv, MISSING_API_KEY, parseEnv } from '../../src/config/env.js';

describe('environment variables', () => {
  it('gives defaults for an environment with only the API key', () => {
    const env = loadEnv({ ANTHROPIC_API_KEY: 'sk-ant-x' });
    expect(env).toMatchObject({
      ANTHROPIC_API_KEY: 'sk-ant-x',
      THREADHAND_DATA_DIR: './.threadhand',
      THREADHAND_AGENTS_DIR: './agents',
      THREADHAND_HOST: '127.0.0.1',
      THREADHAND_PORT: 4040,
      THREADHAND_ROLE: 'all',
      THREADHAND_REDIS_PREFIX: 'threadhand:',
      THREADHAND_API_KEYS: [],
      THREADHAND_LOG_LEVEL: 'info',
    });
    expect(env.THREADHAND_REDIS_URL).toBeUndefined();
  });

  it('a missing API key is one clear sentence', () => {
    const result = parseEnv({ ANTHROPIC_API_KEY: '  ' });
    expect(result).toEqual({ ok: false, problems: [MISSING_API_KEY] });
    expect(MISSING_API_KEY).toBe(
      'ANTHROPIC_API_KEY is not set: export your Anthropic API key (or set ANTHROPIC_BASE_URL to a compatible server) and run again.',
    );
    expect(parseEnv({ ANTHROPIC_AUTH_TOKEN: 'tok' }).ok).toBe(true);
    expect(parseEnv({}, { requireModel: false }).ok).toBe(true);
  });

  it('reports every problem at once, each a sentence naming the variable', () => {
    let error: unknown;
    try {
      loadEnv({
        THREADHAND_PORT: 'eighty',
        THREADHAND_REDIS_URL: 'localhost:6379',
        THREADHAND_LOG_LEVEL: 'loud',
        ANTHROPIC_BASE_URL: 'not a url',
        SLACK_BOT_TOKEN: 'xoxb-1',
        THREADHAND_SECRET_KEY: 'short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems;
    expect(problems).toHaveLength(5);
    for (const p of problems) expect(p).toMatch(/^[A-Z0-9_]+ .*\.$/);
    expect(problems.join('\n')).toContain('THREADHAND_PORT must be a port number between 0 and 65535');
    expect(problems.join('\n')).toContain('THREADHAND_REDIS_URL must be a redis:// or rediss:// URL');
    expect(problems.join('\n')).toContain('THREADHAND_LOG_LEVEL must be one of');
    expect(problems.join('\n')).toContain('ANTHROPIC_BASE_URL must be a full URL');
    expect(problems.join('\n')).toContain('THREADHAND_SECRET_KEY must be at least 32 characters');
  });

  it('checks combinations once the values themselves are fine', () => {
    const result = parseEnv({ ANTHROPIC_API_KEY: 'k', SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatch(
      /^SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET/,
    );
    const ok = loadEnv({
      ANTHROPIC_API_KEY: 'k',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      THREADHAND_API_KEYS: 'a, b,,c',
      THREADHAND_PORT: '0',
    });
    expect(ok.THREADHAND_API_KEYS).toEqual(['a', 'b', 'c']);
    expect(ok.THREADHAND_PORT).toBe(0);
  });
});
