import type { Config } from '../config';
import { type RunningServer, startServer } from '../server';

function banner(server: RunningServer, config: Config): string {
  const { endpoints } = server.context;
  const lines = [
    `EdgeFleet fleet server — fleet '${config.fleet}'`,
    `  http  ${server.url} (port ${server.httpPort}; clients use ${endpoints.apiUrl}; dashboard at /, API docs at /docs)`,
    `  mqtt  ${endpoints.mqttUrl}`,
    `  data  ${config.dataDir}`,
    // With '=': a base64url thumbprint may start with '-', which a separate argument would read as a flag.
    `  fleet key sha256 ${server.context.signer.keyId} (agents enrolling over http://: --fleet-key-sha256=${server.context.signer.keyId})`,
  ];
  if (server.adminTokenFile) {
    lines.push('', `  Admin token (new, shown nowhere else) written to ${server.adminTokenFile} (0600)`);
  } else if (server.adminToken) {
    lines.push(
      '',
      '  Admin token (shown once, stored only as a hash; keep it now):',
      `    ${server.adminToken}`,
      `  Use it as: Authorization: Bearer ${server.adminToken.slice(0, 8)}…`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `edgefleet serve`: starts everything, prints where, and shuts down cleanly on SIGINT/SIGTERM. */
export async function serveCommand(config: Config): Promise<number> {
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (error) {
    process.stderr.write(`edgefleet serve: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(banner(server, config));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`edgefleet serve: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      server.context.logger.info({ signal }, 'shutting down');
      server.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
