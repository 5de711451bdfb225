/**
 * The worker of `writeSyntheticSet` (`synthetic.ts`): writes each case posted to it and posts
 * back its summary, or the error's message (the parent names the case and the folder).
 * @module
 */
import { type SyntheticCaseJob, writeSyntheticCase } from "./synthetic.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<SyntheticCaseJob>) => void;
  postMessage: (message: unknown) => void;
};

scope.onmessage = async (e) => {
  try {
    scope.postMessage({ summary: await writeSyntheticCase(e.data) });
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
