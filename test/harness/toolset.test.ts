/**
 * Building a session's toolset: when one tool source fails, what the others opened for that
 * run is released (an MCP source would otherwise keep its connections held until shutdown).
 */
import { describe, expect, it } from 'vitest';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { createToolsetFactory, type ToolSource } from '../../src/harness/toolset.js';
import type { SessionContext } from '../../src/harness/types.js';

const ctx = {
  session: { id: 'sesn_1' },
  agent: AgentConfig.parse({ name: 'a', model: 'claude-test' }),
  environment: EnvironmentConfig.parse({ name: 'default' }),
} as unknown as SessionContext;

describe('toolset factory', () => {
  it('a failing source rejects the build and the sources that opened something are closed', async () => {
    let closed = 0;
    const opened: ToolSource = async () => ({
      tools: [],
      close: async () => {
        closed++;
      },
    });
    const broken: ToolSource = async () => {
      throw new Error('source broke');
    };
    await expect(createToolsetFactory([opened, broken])(ctx)).rejects.toThrow('source broke');
    expect(closed).toBe(1);
  });
});
