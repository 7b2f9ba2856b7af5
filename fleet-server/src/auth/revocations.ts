/** A credential that stopped being valid: its live connections must end now, not at their next login. */
export type Revoked =
  | { kind: 'device'; deviceId: string }
  | { kind: 'app'; appId: string }
  | { kind: 'admin'; tokenId: string };

/**
 * Where registries announce revocations (a device disabled or deleted, an app key rotated, an app disabled or
 * deleted, an admin token revoked) and where live connections listen: the embedded broker closes the MQTT
 * sessions of the credential, the event streams close the SSE streams opened with it.
 */
export class Revocations {
  private readonly listeners = new Set<(revoked: Revoked) => void>();

  /** Calls `listener` for every revocation from now on; returns the unsubscribe function. */
  on(listener: (revoked: Revoked) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces a revocation; a listener that throws does not keep the others from cutting their connections. */
  revoke(revoked: Revoked): void {
    for (const listener of this.listeners) {
      try {
        listener(revoked);
      } catch {
        // each listener logs its own failures
      }
    }
  }
}
