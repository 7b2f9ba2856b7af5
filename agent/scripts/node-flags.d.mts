/** Node/V8 flags the agent ships with (see node-flags.mjs). */
export declare const AGENT_NODE_FLAGS: readonly string[];
/** The shebang line that runs a script with {@link AGENT_NODE_FLAGS}. */
export declare const AGENT_SHEBANG: string;
