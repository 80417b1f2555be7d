/**
 * Turns a zod input schema and a run function into a `Tool` whose every failure (bad input,
 * sandbox errors, unexpected throws) comes back as an `is_error` result the model can act on.
 */
import { z } from 'zod';
import { type Sandbox, SandboxError } from '../../sandbox/types.js';
import { type PermissionPolicy, type Tool, type ToolContext, type ToolResult, textResult } from '../types.js';

export interface BuiltinToolSpec<S extends z.ZodType> {
  name: string;
  description: string;
  schema: S;
  run(input: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** JSON Schema for the model, from the zod schema (without the `$schema` key). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `- ${issue.path.length > 0 ? issue.path.join('.') : '(input)'}: ${issue.message}`)
    .join('\n');
}

export function defineBuiltinTool<S extends z.ZodType>(
  spec: BuiltinToolSpec<S>,
  permission: PermissionPolicy,
): Tool {
  return {
    name: spec.name,
    description: spec.description,
    input_schema: jsonSchemaOf(spec.schema),
    kind: 'builtin',
    permission,
    async run(input, ctx) {
      const parsed = spec.schema.safeParse(input);
      if (!parsed.success) {
        return textResult(`Invalid input for ${spec.name}:\n${describeIssues(parsed.error)}`, true);
      }
      try {
        return await spec.run(parsed.data, ctx);
      } catch (error) {
        if (error instanceof SandboxError) return textResult(error.message, true);
        const message = error instanceof Error ? error.message : String(error);
        return textResult(`${spec.name} failed unexpectedly: ${message}`, true);
      }
    },
  };
}

/** The session's sandbox; provisioning failures (missing packages...) become SandboxErrors. */
export async function sandboxOf(ctx: ToolContext): Promise<Sandbox> {
  try {
    return await ctx.sandbox();
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new SandboxError('sandbox_failed', `The sandbox could not be started: ${message}`);
  }
}

/** Cuts text to `max` characters, keeping head and tail, with a note on what was cut. */
export function clip(text: string, max: number): { text: string; clipped: boolean } {
  if (text.length <= max) return { text, clipped: false };
  const head = text.slice(0, Math.floor(max * 0.6));
  const tail = text.slice(text.length - Math.floor(max * 0.4));
  return {
    text: `${head}\n[... ${text.length - head.length - tail.length} characters truncated ...]\n${tail}`,
    clipped: true,
  };
}
