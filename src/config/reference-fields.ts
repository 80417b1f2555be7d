/**
 * Descriptions and examples of YAML fields for docs/configuration.md, keyed by
 * `agent.<path>` / `environment.<path>` as `src/config/reference.ts` flattens the schemas.
 * Types, required flags and defaults come from the schemas, not from here.
 */
export const FIELD_DOCS: Record<string, { description: string; example?: string }> = {
  'agent.name': { description: 'Agent name; sessions and chat settings refer to it.', example: 'coder' },
  'agent.description': {
    description: 'What the agent is for (shown in lists).',
    example: 'Fixes bugs in our repos',
  },
  'agent.model': {
    description: 'Model id, or an object with `id`, `effort` and `speed`.',
    example: 'claude-sonnet-4-5',
  },
  'agent.model.id': { description: 'Model id.', example: 'claude-opus-4-5' },
  'agent.model.effort': { description: 'Reasoning effort.', example: 'high' },
  'agent.model.speed': { description: 'Request the fast tier where available.', example: 'fast' },
  'agent.system': { description: 'System prompt.', example: 'You are a careful engineer.' },
  'agent.tools': { description: 'Toolsets and custom tools offered to the model.' },
  'agent.tools[type=agent_toolset_20260401].type': {
    description: 'The built-in toolset (bash, read, write, edit, glob, grep, web_fetch, web_search).',
  },
  'agent.tools[type=agent_toolset_20260401].configs': { description: 'Per-tool settings.' },
  'agent.tools[type=agent_toolset_20260401].configs[].name': {
    description: 'Built-in tool.',
    example: 'bash',
  },
  'agent.tools[type=agent_toolset_20260401].configs[].type': { description: 'Same as `name` (API form).' },
  'agent.tools[type=agent_toolset_20260401].configs[].enabled': {
    description: 'Offer this tool.',
    example: 'false',
  },
  'agent.tools[type=agent_toolset_20260401].configs[].permission_policy': {
    description: '`always_allow`, or `always_ask` (a person approves each call).',
    example: 'always_ask',
  },
  'agent.tools[type=agent_toolset_20260401].default_config': {
    description: 'Settings for tools not listed in `configs`.',
  },
  'agent.tools[type=agent_toolset_20260401].default_config.enabled': { description: 'Offer unlisted tools.' },
  'agent.tools[type=agent_toolset_20260401].default_config.permission_policy': {
    description: 'Policy of unlisted tools.',
    example: 'always_allow',
  },
  'agent.tools[type=mcp_toolset].type': { description: 'Tools of one MCP server from `mcp_servers`.' },
  'agent.tools[type=mcp_toolset].mcp_server_name': {
    description: 'Name of the MCP server.',
    example: 'github',
  },
  'agent.tools[type=mcp_toolset].configs': { description: 'Per-tool settings.' },
  'agent.tools[type=mcp_toolset].configs[].name': { description: 'MCP tool name.', example: 'create_issue' },
  'agent.tools[type=mcp_toolset].configs[].enabled': { description: 'Offer this tool.' },
  'agent.tools[type=mcp_toolset].configs[].permission_policy': {
    description: 'Approval policy.',
    example: 'always_ask',
  },
  'agent.tools[type=mcp_toolset].default_config': {
    description: 'Settings for unlisted tools of this server.',
  },
  'agent.tools[type=mcp_toolset].default_config.enabled': { description: 'Offer unlisted tools.' },
  'agent.tools[type=mcp_toolset].default_config.permission_policy': {
    description: 'Policy of unlisted tools.',
  },
  'agent.tools[type=custom].type': {
    description: 'A tool your client runs: the session waits (`requires_action`) for its result.',
  },
  'agent.tools[type=custom].name': {
    description: 'Tool name (1-64 letters, digits, `_`, `-`).',
    example: 'lookup_order',
  },
  'agent.tools[type=custom].description': {
    description: 'What the tool does; the model reads it.',
    example: 'Looks up an order by id',
  },
  'agent.tools[type=custom].input_schema': {
    description: 'JSON Schema of the input.',
    example: '{type: object, properties: {id: {type: string}}}',
  },
  'agent.tools[type=custom].input_schema.type': { description: 'Always `object`.' },
  'agent.mcp_servers': { description: 'MCP servers the agent may use.' },
  'agent.mcp_servers[type=url].type': { description: 'A remote MCP server (streamable HTTP).' },
  'agent.mcp_servers[type=url].name': { description: 'Name used by `mcp_toolset`.', example: 'github' },
  'agent.mcp_servers[type=url].url': {
    description: 'Server URL.',
    example: 'https://api.githubcopilot.com/mcp/',
  },
  'agent.mcp_servers[type=url].headers': {
    description: 'Request headers; values may be `vault:<vault>/<SECRET>` references.',
    example: '{Authorization: "vault:github/TOKEN"}',
  },
  'agent.mcp_servers[type=stdio].type': { description: 'A local MCP server started as a child process.' },
  'agent.mcp_servers[type=stdio].name': { description: 'Name used by `mcp_toolset`.', example: 'everything' },
  'agent.mcp_servers[type=stdio].command': { description: 'Executable.', example: 'npx' },
  'agent.mcp_servers[type=stdio].args': {
    description: 'Arguments.',
    example: '[-y, "@modelcontextprotocol/server-everything"]',
  },
  'agent.mcp_servers[type=stdio].env': { description: 'Extra environment of the child process.' },
  'agent.metadata': { description: 'Free-form string labels.', example: '{team: platform}' },
  'agent.max_tokens': { description: 'Output token cap per model request.', example: '16000' },
  'agent.thinking_budget_tokens': {
    description: 'Extended thinking budget (tokens, at least 1024); off when absent.',
    example: '4096',
  },
  'agent.compaction': { description: 'Summarise old turns when the context grows (docs/long-sessions).' },
  'agent.compaction.enabled': { description: 'Compact at all.' },
  'agent.compaction.threshold_tokens': {
    description: 'Compact when the context exceeds this.',
    example: '120000',
  },
  'agent.compaction.keep_recent_turns': { description: 'Turns kept verbatim.', example: '6' },
  'agent.budget': { description: 'Limits that end a turn with `stop_reason: budget_reached`.' },
  'agent.budget.max_tokens': { description: 'Tokens per turn.', example: '500000' },
  'agent.budget.max_cost_usd': { description: 'Estimated cost per turn (price table).', example: '2.5' },
  'agent.budget.max_tool_calls': { description: 'Tool calls per turn.', example: '200' },
  'agent.budget.max_wall_seconds': { description: 'Wall-clock seconds per turn.', example: '1800' },
  'agent.vaults': { description: "Vaults whose credentials this agent's sessions get.", example: '[github]' },
  'environment.name': { description: 'Environment name.', example: 'default' },
  'environment.description': { description: 'What the environment is for.' },
  'environment.metadata': { description: 'Free-form string labels.' },
  'environment.provider': {
    description: 'Where tools run: `local` (bubblewrap) or `e2b` (E2B cloud sandboxes, E2B_API_KEY).',
    example: 'e2b',
  },
  'environment.networking': { description: 'Network access of the sandbox.' },
  'environment.networking[type=unrestricted].type': {
    description: 'Any host (through the egress proxy for local sandboxes).',
  },
  'environment.networking[type=limited].type': { description: 'Only the hosts allowed below.' },
  'environment.networking[type=limited].allowed_hosts': {
    description: 'Hosts (or `*.domain`) the sandbox may reach.',
    example: '[api.github.com]',
  },
  'environment.networking[type=limited].allow_mcp_servers': {
    description: "Also allow the agent's MCP server hosts.",
  },
  'environment.networking[type=limited].allow_package_managers': {
    description: 'Also allow package registries (npm, PyPI, ...).',
  },
  'environment.packages': { description: 'Packages installed when the sandbox is provisioned.' },
  'environment.packages.apt': { description: 'Debian packages.', example: '[ripgrep]' },
  'environment.packages.npm': { description: 'npm packages (global).', example: '[typescript]' },
  'environment.packages.pip': { description: 'Python packages.', example: '[requests]' },
  'environment.packages.cargo': { description: 'Rust crates.' },
  'environment.packages.gem': { description: 'Ruby gems.' },
  'environment.packages.go': { description: 'Go modules (`go install`).' },
  'environment.e2b': { description: 'E2B options (`provider: e2b`).' },
  'environment.e2b.template': { description: 'Sandbox template.', example: 'base' },
  'environment.e2b.cpu_count': { description: 'vCPUs.', example: '2' },
  'environment.e2b.memory_mb': { description: 'Memory.', example: '2048' },
  'environment.e2b.timeout_seconds': {
    description: 'Sandbox lifetime before E2B pauses it.',
    example: '900',
  },
  'environment.idle_pause_seconds': {
    description: 'Pause the sandbox after this many idle seconds.',
    example: '120',
  },
  'environment.vaults': { description: 'Vaults whose credentials sessions in this environment get.' },
};
