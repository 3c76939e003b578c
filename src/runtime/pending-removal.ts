/**
 * `run -d --rm`: once the container's process has exited, its monitor writes exit.json and
 * then runs `minictr rm -f` for it, a separate process. Until that rm is done the container
 * is still in the store, exited: a user who saw it end (stop, wait, logs -f) and at once
 * removes its volume, its image or its network, or takes its name again, would be told it
 * is in use by a container that is gone in all but its dir. Those commands first wait here,
 * briefly, for such removals to finish (as Docker's CLI waits for a --rm container's
 * "removed"), then judge the store as it is: a container whose rm did not come (the grace
 * is over, store.ts isBeingRemoved) still counts, nothing is taken as unused on a guess.
 * Called before the command takes the volumes lock: the rm takes it too (anonymous volumes).
 */
import { AUTO_REMOVE_GRACE_MS, isBeingRemoved, listContainers, nameHolder, nameHolderId, type Container } from './store.js';

const POLL_MS = 20;

/** Wait until the containers being removed (of those given; else of the whole store) have
 * left it, or their exit record is AUTO_REMOVE_GRACE_MS old (their rm did not come: store.ts). */
export async function awaitPendingRemovals(of?: Container[]): Promise<void> {
  let leaving = (of ?? listContainers()).filter(isBeingRemoved);
  // a record read before it left: once its dir is gone, its exit file is too
  while ((leaving = leaving.filter(isBeingRemoved)).length) await new Promise((r) => setTimeout(r, POLL_MS));
}

/** How long a name whose holder's record has just left may stay reserved: its rm frees the
 * name right after moving the dir out (store.ts retireContainerFiles). */
const RELEASE_MS = 1000;

/** A run's --name was in use: if its holder is a container being removed, wait for it to
 * go and free the name. True: the name may be taken again (as Docker lets `run --name X`
 * reuse the name of a --rm container that has ended). */
export async function awaitNameFree(name: string): Promise<boolean> {
  const id = nameHolderId(name);
  if (id === undefined) return true; // freed since
  const first = nameHolder(name);
  if (first && !isBeingRemoved(first)) return false;
  // being removed, or its record already out of the store (its rm frees the name next)
  const deadline = Date.now() + (first ? AUTO_REMOVE_GRACE_MS : RELEASE_MS);
  while (nameHolderId(name) === id && Date.now() < deadline) {
    const now = nameHolder(name);
    if (now && !isBeingRemoved(now)) return false; // its rm did not come
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return nameHolderId(name) !== id;
}
