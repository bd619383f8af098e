/**
 * User activity in a browser: input events and the page becoming visible again. Only where
 * `globalThis.document` exists (elsewhere, e.g. in Node, the app calls `presence.activity()`).
 *
 * A page turning hidden is not by itself idleness: the user may be in a call or reading in
 * another window while the app's tab plays on. Hidden only stops input from arriving, so the
 * usual `idleAfterMs` without activity still leads to `away`; turning visible is activity.
 */

/** The part of the DOM's `document` this needs (the package builds without the DOM types). */
interface ActivityDocument {
  readonly visibilityState?: string;
  addEventListener(type: string, listener: () => void, options?: object): void;
  removeEventListener(type: string, listener: () => void, options?: object): void;
}

/** Input that means a person is there. `pointermove` covers mice; handling it is a timestamp. */
const INPUT_EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'scroll'];

/** Calls `activity` on input and on the page turning visible; returns a function that stops. */
export function watchBrowserActivity(activity: () => void): () => void {
  const document = (globalThis as { document?: ActivityDocument }).document;
  if (document === undefined) return () => {};
  const options = { capture: true, passive: true };
  const onInput = () => activity();
  const onVisibility = () => {
    if (document.visibilityState === 'visible') activity();
  };
  for (const type of INPUT_EVENTS) document.addEventListener(type, onInput, options);
  document.addEventListener('visibilitychange', onVisibility, options);
  return () => {
    for (const type of INPUT_EVENTS) document.removeEventListener(type, onInput, options);
    document.removeEventListener('visibilitychange', onVisibility, options);
  };
}
