/**
 * Process roles for `threadhand start --role all|front|worker`. One code path builds every
 * role; the role only decides which parts start, so a `front` and a `worker` process on the
 * same Redis together do exactly what one `all` process does.
 */
export const ROLES = ['all', 'front', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleParts {
  /** Takes wakes off the queue and runs the harness (and the hands). */
  worker: boolean;
  /** Chat front doors (Slack, Discord, web console) and the HTTP API. */
  fronts: boolean;
  /** Binds the HTTP listener; a worker still answers nothing, a front serves API and webhooks. */
  http: boolean;
}

export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleError';
  }
}

/** Parses `--role` / `THREADHAND_ROLE`; undefined or empty means `all`. */
export function parseRole(value: string | undefined): Role {
  const role = (value ?? '').trim().toLowerCase();
  if (role === '') return 'all';
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw new RoleError(`Unknown role "${value}": use one of ${ROLES.join(', ')} (default all).`);
}

export function roleParts(role: Role): RoleParts {
  return {
    worker: role !== 'front',
    fronts: role !== 'worker',
    http: role !== 'worker',
  };
}

/**
 * What a role needs from storage. Several processes only share work through Redis: with the
 * embedded SQLite store a `front` process has no worker to hand wakes to (the in-process queue
 * does not cross processes), so that combination is refused with a clear message.
 */
export function checkRoleStorage(role: Role, distributed: boolean): void {
  if (role !== 'all' && !distributed) {
    throw new RoleError(
      `--role ${role} splits the work across processes, which needs shared storage: set THREADHAND_REDIS_URL (e.g. redis://127.0.0.1:6379) or run with --role all.`,
    );
  }
}
