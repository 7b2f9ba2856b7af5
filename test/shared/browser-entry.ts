// Bundled by esbuild and loaded into real Chromium: exposes the shared core to the page
// exactly as a web app would import it.
import * as shared from '@edgefleet/shared';

declare global {
  interface Window {
    edgefleetShared: typeof shared;
  }
}

window.edgefleetShared = shared;
