/** Keys the demo reacts to while it runs in a terminal. */
export interface KeyActions {
  /** `d`: toggle the lighting change on line 2. */
  toggleDrift(): void;
  /** `c`: toggle the labelling rule of line 2's operators (concept drift). */
  toggleConcept(): void;
  /** `q` or Ctrl-C (raw mode turns Ctrl-C into a key, not a signal). */
  quit(): void;
}

/** Listens for single keys when stdin is a terminal; returns a function that restores the terminal. */
export function listenForKeys(actions: KeyActions): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (chunk: Buffer) => {
    for (const key of chunk.toString('utf8')) {
      if (key === 'd' || key === 'D') actions.toggleDrift();
      else if (key === 'c' || key === 'C') actions.toggleConcept();
      else if (key === 'q' || key === '\u0003') actions.quit();
    }
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}
