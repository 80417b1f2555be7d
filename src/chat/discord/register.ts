/** `threadhand discord register`: sends the slash-command definitions in the manifest to Discord. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type APIApplication, REST, Routes } from 'discord.js';
import { z } from 'zod';

const CommandOption = z
  .object({
    name: z
      .string()
      .regex(/^[-_\p{L}\p{N}]{1,32}$/u, 'option names are 1-32 lowercase letters, digits, - or _'),
    type: z.number().int().min(1).max(11),
    description: z.string().min(1).max(100),
    required: z.boolean().optional(),
  })
  .loose();

const Command = z
  .object({
    name: z
      .string()
      .regex(/^[-_\p{L}\p{N}]{1,32}$/u, 'command names are 1-32 lowercase letters, digits, - or _'),
    type: z.number().int().optional(),
    description: z.string().min(1).max(100),
    options: z.array(CommandOption).max(25).optional(),
  })
  .loose();

export const CommandManifest = z.array(Command).min(1).max(100);
export type CommandManifest = z.infer<typeof CommandManifest>;

/** The shipped manifest, from `src/` (tsx, vitest) or from the compiled `dist/src/`. */
export const DEFAULT_MANIFEST_PATH =
  ['../../../', '../../../../']
    .map((up) => fileURLToPath(new URL(`${up}manifests/discord-commands.json`, import.meta.url)))
    .find((path) => existsSync(path)) ?? 'manifests/discord-commands.json';

export async function loadCommandManifest(path = DEFAULT_MANIFEST_PATH): Promise<CommandManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the Discord command manifest ${path}: ${(error as Error).message}`);
  }
  const parsed = CommandManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface RegisterCommandsOptions {
  token: string;
  apiUrl?: string;
  /** Register in one guild (instant) instead of globally (may take up to an hour to show). */
  guildId?: string;
  manifestPath?: string;
  retries?: number;
}

/** Overwrites the application's commands with the manifest; returns what Discord stored. */
export async function registerDiscordCommands(
  options: RegisterCommandsOptions,
): Promise<{ applicationId: string; scope: string; commands: Array<{ id: string; name: string }> }> {
  const commands = await loadCommandManifest(options.manifestPath);
  const rest = new REST({
    ...(options.apiUrl ? { api: options.apiUrl } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
  }).setToken(options.token);
  const app = (await rest.get(Routes.currentApplication())) as APIApplication;
  const route = options.guildId
    ? Routes.applicationGuildCommands(app.id, options.guildId)
    : Routes.applicationCommands(app.id);
  const stored = (await rest.put(route, { body: commands })) as Array<{ id: string; name: string }>;
  return {
    applicationId: app.id,
    scope: options.guildId ? `guild ${options.guildId}` : 'global',
    commands: stored.map((c) => ({ id: c.id, name: c.name })),
  };
}
