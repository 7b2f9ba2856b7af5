import { useState } from 'preact/hooks';
import { checkToken } from '../api/client';
import { setToken } from '../api/session';

/** Asks for the admin token (printed once by `edgefleet serve`), checks it, keeps it in sessionStorage. */
export function LoginPage() {
  const [token, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await checkToken(token.trim());
      setToken(token.trim());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit}>
        <h1>
          <span class="logo">◆</span> EdgeFleet
        </h1>
        <p class="muted">
          Sign in with an admin token: <code>edgefleet serve</code> prints one on its first start.
        </p>
        <label>
          Admin token
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            placeholder="efa_…"
            value={token}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn info" disabled={busy || token.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
