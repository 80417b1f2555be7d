/** Hash routes (`#/sessions/sesn_...`): the server only ever serves `/`, never shadowing the API. */
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'sessions' }
  | { name: 'new' }
  | { name: 'session'; id: string }
  | { name: 'agents' }
  | { name: 'environments' }
  | { name: 'vaults' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/';
  if (path === '/sessions/new') return { name: 'new' };
  const session = /^\/sessions\/([^/]+)$/.exec(path);
  if (session?.[1]) return { name: 'session', id: decodeURIComponent(session[1]) };
  if (path === '/agents') return { name: 'agents' };
  if (path === '/environments') return { name: 'environments' };
  if (path === '/vaults') return { name: 'vaults' };
  return { name: 'sessions' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function go(hash: string): void {
  location.hash = hash;
}
