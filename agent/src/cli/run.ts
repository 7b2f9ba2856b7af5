// Entry of the bundled CLI (dist/edgefleet-agent.mjs).
import { main } from './main';

process.exitCode = await main(process.argv.slice(2), process.env);
