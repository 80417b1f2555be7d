import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiFailure, api, authEvents, storedKey, storeKey } from './api.js';
import { type Route, useRoute } from './router.js';
import './styles.css';
import { NewSession } from './views/new-session.js';
import { AgentsView, EnvironmentsView, VaultsView } from './views/resources.js';
import { SessionView } from './views/session-view.js';
import { SessionsList } from './views/sessions-list.js';

type Auth =
  | { state: 'checking' }
  | { state: 'open' }
  | { state: 'key' }
  | { state: 'login'; error?: string }
  | { state: 'down'; error: string };

async function probe(): Promise<Auth> {
  try {
    await api('/agents?limit=1');
    return storedKey() ? { state: 'key' } : { state: 'open' };
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) {
      return { state: 'login', ...(storedKey() ? { error: 'The server refused that API key.' } : {}) };
    }
    return { state: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

function Login({ error, onKey }: { error?: string; onKey(key: string): void }) {
  const [key, setKey] = useState('');
  return (
    <main className="login" id="main">
      <h1>Threadhand</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
      >
        <p>
          This server needs an API key (one of <code>THREADHAND_API_KEYS</code>). It is kept in this browser
          tab only.
        </p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

const NAV: Array<[Route['name'], string, string]> = [
  ['sessions', '#/', 'Sessions'],
  ['new', '#/sessions/new', 'New session'],
  ['agents', '#/agents', 'Agents'],
  ['environments', '#/environments', 'Environments'],
  ['vaults', '#/vaults', 'Vaults'],
];

function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const route = useRoute();
  const recheck = useCallback(() => void probe().then(setAuth), []);
  useEffect(() => {
    recheck();
    const onUnauthorized = () =>
      setAuth({ state: 'login', ...(storedKey() ? { error: 'The server refused the API key.' } : {}) });
    authEvents.addEventListener('unauthorized', onUnauthorized);
    return () => authEvents.removeEventListener('unauthorized', onUnauthorized);
  }, [recheck]);

  if (auth.state === 'checking')
    return (
      <p className="loading" role="status">
        Connecting…
      </p>
    );
  if (auth.state === 'login')
    return (
      <Login
        {...(auth.error ? { error: auth.error } : {})}
        onKey={(key) => {
          storeKey(key);
          recheck();
        }}
      />
    );
  if (auth.state === 'down') {
    return (
      <main className="login" id="main">
        <h1>Threadhand</h1>
        <p role="alert">The API did not answer: {auth.error}</p>
        <button type="button" onClick={recheck}>
          Try again
        </button>
      </main>
    );
  }
  return (
    <>
      <button type="button" className="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <a className="brand" href="#/">
          Threadhand
        </a>
        <nav aria-label="Main">
          {NAV.map(([name, href, label]) => (
            <a key={name} href={href} aria-current={route.name === name ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {auth.state === 'key' ? (
          <button
            type="button"
            className="link"
            onClick={() => {
              storeKey(null);
              recheck();
            }}
          >
            Sign out
          </button>
        ) : null}
      </header>
      {auth.state === 'open' ? (
        <p className="banner" role="note">
          No API key is configured, so no sign-in is needed: the server only listens on this machine
          (loopback).
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        {route.name === 'sessions' ? <SessionsList /> : null}
        {route.name === 'new' ? <NewSession /> : null}
        {route.name === 'session' ? <SessionView key={route.id} id={route.id} /> : null}
        {route.name === 'agents' ? <AgentsView /> : null}
        {route.name === 'environments' ? <EnvironmentsView /> : null}
        {route.name === 'vaults' ? <VaultsView /> : null}
      </main>
    </>
  );
}

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
