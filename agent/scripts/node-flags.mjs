// Node/V8 flags the agent ships with (bin shebang, bundled CLI banner; the RSS bench runs both sides with
// them). A 2 MiB young-generation semi-space instead of V8's default (grows to 16 MiB): the agent's
// startup (module loading, schemas) makes V8 grow the young generation to ~8 MiB that it then keeps;
// capped, RSS is ~8 MB lower for a few more (cheap) scavenges. Keep bin/edgefleet-agent.js in step.
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=2'];

/** The shebang line that runs a script with {@link AGENT_NODE_FLAGS} (`env -S`: GNU coreutils ≥ 8.30). */
export const AGENT_SHEBANG = `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`;
