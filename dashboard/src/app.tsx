import type { ComponentChildren } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { type LiveMode, liveMode, onLiveModeChange, startLiveEvents, stopLiveEvents } from './api/events';
import { getToken, onTokenChange, setToken } from './api/session';
import { ErrorBox, Loading } from './components/states';
import { AlertsPage } from './pages/alerts';
import { DevicePage } from './pages/device';
import { FleetPage } from './pages/fleet';
import { LoginPage } from './pages/login';
import { ModelsPage } from './pages/models';
import { MonitoringPage } from './pages/monitoring';
import { QualityPage } from './pages/quality';
import { RolloutDetailPage } from './pages/rollout-detail';
import { RolloutFormPage } from './pages/rollout-form';
import { RolloutsPage } from './pages/rollouts';
import { href, type Route, useRoute } from './router';

// The data-loop pages are loaded on first visit: the other pages do not carry their code.
const loadSamples = () => import('./pages/samples');
const loadDatasets = () => import('./pages/datasets');

/** Renders a page from a module loaded on demand; a failed load (server gone, new build) shows the error. */
function Lazy<M>({ load, render }: { load: () => Promise<M>; render: (module: M) => ComponentChildren }) {
  const [state, setState] = useState<{ module: M | null; error: Error | null }>({
    module: null,
    error: null,
  });
  useEffect(() => {
    let live = true;
    load().then(
      (module) => live && setState({ module, error: null }),
      (error: Error) => live && setState({ module: null, error }),
    );
    return () => {
      live = false;
    };
  }, [load]);
  if (state.error) return <ErrorBox error={state.error} />;
  if (!state.module) return <Loading what="Loading the page" />;
  return <>{render(state.module)}</>;
}

const NAV = [
  ['fleet', 'Fleet'],
  ['models', 'Models'],
  ['rollouts', 'Rollouts'],
  ['monitoring', 'Monitoring'],
  ['quality', 'Quality'],
  ['samples', 'Samples'],
  ['datasets', 'Datasets'],
  ['alerts', 'Alerts'],
] as const;

function useToken(): string | null {
  const [token, set] = useState(getToken);
  useEffect(() => onTokenChange(set), []);
  return token;
}

function useLiveMode(): LiveMode {
  const [mode, set] = useState(liveMode);
  useEffect(() => onLiveModeChange(set), []);
  return mode;
}

function Page({ route }: { route: Route }) {
  const [section = 'fleet', id] = route.parts;
  switch (section) {
    case 'devices':
      return id ? <DevicePage id={id} /> : <FleetPage query={route.query} />;
    case 'models':
      return <ModelsPage selected={id ?? route.query.get('model')} version={route.query.get('version')} />;
    case 'rollouts':
      if (id === 'new') return <RolloutFormPage />;
      return id ? <RolloutDetailPage id={id} /> : <RolloutsPage />;
    case 'monitoring':
      return <MonitoringPage query={route.query} />;
    case 'quality':
      return <QualityPage query={route.query} />;
    case 'samples':
      return <Lazy load={loadSamples} render={(m) => <m.SamplesPage query={route.query} />} />;
    case 'datasets':
      return <Lazy load={loadDatasets} render={(m) => <m.DatasetsPage id={id} />} />;
    case 'alerts':
      return <AlertsPage />;
    default:
      return <FleetPage query={route.query} />;
  }
}

/** A page that throws while rendering (an answer of an unexpected shape) shows the error, not a blank screen. */
function PageBoundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <div class="state error" role="alert">
        <strong>This page could not be shown:</strong> {(error as Error).message ?? String(error)}
        <button type="button" class="link" onClick={reset}>
          Retry
        </button>
      </div>
    );
  }
  return <>{children}</>;
}

const MODE_TEXT: Record<LiveMode, string> = {
  live: 'live',
  connecting: 'connecting…',
  polling: 'polling every 10 s',
  off: 'offline',
};

/** The shell: login gate, top navigation, the live indicator and the current page. */
export function App() {
  const token = useToken();
  const route = useRoute();
  const mode = useLiveMode();
  useEffect(() => {
    if (token) startLiveEvents();
    else stopLiveEvents();
  }, [token]);
  if (!token) return <LoginPage />;
  const section = route.parts[0] === 'devices' ? 'fleet' : (route.parts[0] ?? 'fleet');
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={href('fleet')}>
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          EdgeFleet
        </a>
        <nav>
          {NAV.map(([key, label]) => (
            <a key={key} href={href(key)} class={section === key ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live ${mode}`} data-testid="live-mode" title="server event stream">
          <span class="dot" /> {MODE_TEXT[mode]}
        </span>
        <button type="button" class="btn muted small" onClick={() => setToken(null)}>
          Log out
        </button>
      </header>
      <main class="content">
        <PageBoundary key={route.parts.join('/')}>
          <Page route={route} />
        </PageBoundary>
      </main>
    </div>
  );
}
