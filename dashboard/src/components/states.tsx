import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client';
import type { Resource } from '../api/use-live';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div class="state loading" role="status">
      <span class="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state empty">{children}</div>;
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  const status = error instanceof ApiError && error.status > 0 ? ` (HTTP ${error.status})` : '';
  return (
    <div class="state error" role="alert">
      <strong>Could not load{status}:</strong> {error.message}
      {retry && (
        <button type="button" class="link" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Renders a resource: loading until the first data, an error box when the first load failed, else `children`. */
export function Async<T>({
  resource,
  what,
  children,
}: {
  resource: Resource<T>;
  what?: string;
  children: (data: T) => ComponentChildren;
}) {
  if (resource.data === null) {
    if (resource.error) return <ErrorBox error={resource.error} retry={resource.reload} />;
    return <Loading {...(what ? { what } : {})} />;
  }
  return (
    <>
      {resource.error && <ErrorBox error={resource.error} retry={resource.reload} />}
      {children(resource.data)}
    </>
  );
}
