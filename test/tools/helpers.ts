import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentConfig,
  type AgentConfigInput,
  EnvironmentConfig,
  type EnvironmentConfigInput,
} from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/provider.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import { type BuiltinToolsetOptions, createBuiltinToolset } from '../../src/tools/builtin/index.js';
import type { Tool, ToolContext, ToolResult } from '../../src/tools/types.js';

export function agent(tools: AgentConfigInput['tools'] = [{ type: 'agent_toolset_20260401' }]): AgentConfig {
  return AgentConfig.parse({ name: 'tester', model: 'claude-test', tools });
}

export function environment(input: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return EnvironmentConfig.parse({ name: 'tools-env', ...input });
}

export interface ToolRig {
  provider: SandboxProvider;
  dataDir: string;
  tools: Tool[];
  progress: string[];
  sessionId: string;
  controller: AbortController;
  call(name: string, input: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}

let counter = 0;

/** Tools over a real local sandbox for one session, with a ToolContext like the harness's. */
export function toolRig(
  options: Partial<Omit<BuiltinToolsetOptions, 'agent' | 'environment'>> & {
    agent?: AgentConfig;
    environment?: EnvironmentConfig;
    dataDir?: string;
    sessionId?: string;
    bwrapPath?: string;
  } = {},
): ToolRig {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'th-tools-'));
  const env = options.environment ?? environment();
  const provider = createLocalSandboxProvider({
    dataDir,
    logger: silentLogger(),
    bwrapPath: options.bwrapPath,
  });
  const tools = createBuiltinToolset({ ...options, agent: options.agent ?? agent(), environment: env });
  const progress: string[] = [];
  counter += 1;
  const sessionId = options.sessionId ?? `sesn_tools${process.pid}x${counter}`;
  const controller = new AbortController();
  const ctx = (): ToolContext => ({
    sessionId,
    toolUseId: `sevt_${counter}`,
    signal: controller.signal,
    onProgress: (text) => progress.push(text),
    sandbox: () => provider.get(sessionId, env),
  });
  return {
    provider,
    dataDir,
    tools,
    progress,
    sessionId,
    controller,
    async call(name, input) {
      const tool = tools.find((t) => t.name === name);
      if (!tool?.run) throw new Error(`no tool ${name}`);
      return tool.run(input, ctx());
    },
    async close() {
      await provider.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function text(result: ToolResult): string {
  return result.content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('');
}
