// Child process for the kill -9 test: appends reports as fast as it can, printing each committed seq.
import { Outbox } from './outbox';
import { sampleDraft } from './sample-draft';

const outbox = new Outbox(process.argv[2]!, 'dev-kill', 1_000_000);
for (;;) {
  const report = outbox.append(sampleDraft(), { backend: 'cpu', threads: 1 });
  process.stdout.write(`${report.seq}\n`);
}
