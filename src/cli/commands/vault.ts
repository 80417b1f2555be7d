/** `threadhand vault ...`: vaults and their environment-variable credentials. Values are never printed. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { CredentialRecord, VaultRecord, VaultStore } from '../../credentials/vault-types.js';
import { resourceId } from '../../events/ids.js';
import { type GlobalOptions, withThreadhand } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';

const SecretName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use a valid environment variable name (letters, digits, _)');

async function findVault(vaults: VaultStore, name: string): Promise<VaultRecord | undefined> {
  const live = (await vaults.listVaults()).filter((v) => !v.archived_at);
  return live.find((v) => v.display_name === name) ?? live.find((v) => v.id === name);
}

async function requireVault(vaults: VaultStore, name: string): Promise<VaultRecord> {
  const vault = await findVault(vaults, name);
  if (!vault)
    throw new CliError(`No vault named ${name}: create it with threadhand vault create ${name}`, EXIT.failed);
  return vault;
}

async function findSecret(
  vaults: VaultStore,
  vault: VaultRecord,
  secretName: string,
): Promise<CredentialRecord | undefined> {
  return (await vaults.listCredentials(vault.id)).find(
    (c) => !c.archived_at && c.auth.type === 'environment_variable' && c.auth.secret_name === secretName,
  );
}

/** Reads the secret from piped stdin (the binary); tests and scripts use --value. */
async function readStdin(io: CliIo): Promise<string> {
  if (io.stdinIsTTY) return io.prompt('Secret value (input is shown; prefer piping it): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface AddOptions {
  host?: string[];
  body?: boolean;
  header?: boolean;
  value?: string;
}

export function registerVault(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalsOf = (command: Command) => command.optsWithGlobals<GlobalOptions>();
  const open = <T>(command: Command, fn: (vaults: VaultStore) => Promise<T>) =>
    withThreadhand(io, globalsOf(command), { role: 'front' }, (th) => fn(th.vaults));
  const vault = program
    .command('vault')
    .description(
      'Vaults: secrets kept outside the sandbox, injected by the egress proxy (see README "Credentials")',
    );

  vault
    .command('create')
    .description('Create a vault (a vault named "default" applies to sessions that name none)')
    .argument('<name>', 'vault name')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await open(command, async (vaults) => {
        if (await findVault(vaults, name)) throw new CliError(`Vault ${name} already exists.`, EXIT.failed);
        const now = new Date().toISOString();
        const record: VaultRecord = {
          id: resourceId('vlt'),
          display_name: name,
          metadata: {},
          created_at: now,
          updated_at: now,
          archived_at: null,
        };
        await vaults.putVault(record);
        io.stdout.write(`vault ${name} created (${record.id})\n`);
      });
      setExit(EXIT.ok);
    });

  vault
    .command('add')
    .description('Add (or replace) a secret; the sandbox sees $SECRET_NAME as a placeholder only')
    .argument('<vault>', 'vault name')
    .argument('<secret-name>', 'environment variable name, e.g. GITHUB_TOKEN')
    .option(
      '--host <host>',
      'a host the secret may be sent to (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--body', 'also allow injection into request bodies (default: headers only)')
    .option('--value <value>', 'the secret (default: read from stdin)')
    .action(async (vaultName: string, secretName: string, opts: AddOptions, command: Command) => {
      const name = SecretName.safeParse(secretName);
      if (!name.success) throw new CliError(`${secretName}: ${name.error.issues[0]?.message}`, EXIT.config);
      const hosts = opts.host ?? [];
      if (hosts.length === 0)
        throw new CliError(
          'Give at least one --host the secret may be sent to (e.g. --host api.github.com).',
          EXIT.config,
        );
      const value = opts.value ?? (await readStdin(io));
      if (!value)
        throw new CliError('The secret value is empty: pass it on stdin or with --value.', EXIT.config);
      await open(command, async (vaults) => {
        const target = await requireVault(vaults, vaultName);
        const existing = await findSecret(vaults, target, secretName);
        const now = new Date().toISOString();
        const record: CredentialRecord = {
          id: existing?.id ?? resourceId('vcrd'),
          vault_id: target.id,
          display_name: secretName,
          metadata: existing?.metadata ?? {},
          auth: {
            type: 'environment_variable',
            secret_name: secretName,
            networking: { type: 'limited', allowed_hosts: hosts },
            injection_location: { header: true, body: Boolean(opts.body) },
          },
          created_at: existing?.created_at ?? now,
          updated_at: now,
          archived_at: null,
        };
        await vaults.putCredential(record, { secret_value: value });
        io.stdout.write(
          `${secretName} ${existing ? 'replaced' : 'added'} in vault ${vaultName} (hosts: ${hosts.join(', ')}; ${opts.body ? 'headers and body' : 'headers'})\n`,
        );
      });
      setExit(EXIT.ok);
    });

  vault
    .command('ls')
    .description('List vaults, or the secret names in one vault (never their values)')
    .argument('[vault]', 'vault name')
    .action(async (vaultName: string | undefined, _opts: unknown, command: Command) => {
      await open(command, async (vaults) => {
        if (!vaultName) {
          for (const v of await vaults.listVaults())
            if (!v.archived_at) io.stdout.write(`${v.display_name}\n`);
          return;
        }
        const target = await requireVault(vaults, vaultName);
        for (const c of await vaults.listCredentials(target.id)) {
          if (c.archived_at || c.auth.type !== 'environment_variable') continue;
          const hosts =
            c.auth.networking.type === 'limited' ? c.auth.networking.allowed_hosts.join(', ') : 'any host';
          io.stdout.write(`${c.auth.secret_name}\t${hosts}\n`);
        }
      });
      setExit(EXIT.ok);
    });

  vault
    .command('rm')
    .description('Remove a secret from a vault')
    .argument('<vault>', 'vault name')
    .argument('<secret-name>', 'environment variable name')
    .action(async (vaultName: string, secretName: string, _opts: unknown, command: Command) => {
      await open(command, async (vaults) => {
        const target = await requireVault(vaults, vaultName);
        const credential = await findSecret(vaults, target, secretName);
        if (!credential) throw new CliError(`Vault ${vaultName} has no secret ${secretName}.`, EXIT.failed);
        await vaults.deleteCredential(target.id, credential.id);
        io.stdout.write(`${secretName} removed from vault ${vaultName}\n`);
      });
      setExit(EXIT.ok);
    });
}
