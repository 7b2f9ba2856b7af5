import { ApiClient } from '@edgefleet/shared/api/client';

export { ApiError } from '@edgefleet/shared/api/client';

/** The admin side of the fleet server's HTTP API, as the demo uses it: the shared typed client with the admin token. */
export class AdminApi extends ApiClient {
  constructor(
    readonly url: string,
    adminToken: string,
  ) {
    super({ baseUrl: url, token: adminToken });
  }
}
