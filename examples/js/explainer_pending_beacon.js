// Seed: fetch-later-explainer.md, "Implement PendingBeacon with
// fetchLater()", run verbatim except for one typo fix:
//   - `#result = fetchLater(...)` in #schedule() is a syntax error (a private
//     name needs `this.`): now `this.#result = fetchLater(...)`.
//
// What really happens with it (class bodies are strict mode code):
//   - new PendingBeacon('/url', ...): `this.#requestInfo.signal = ...` assigns
//     a property to a string primitive: TypeError.
//   - new PendingBeacon(new Request(...), ...): Request's `signal` is a
//     readonly attribute: TypeError.
//   - new PendingBeacon({url: '/url', ...}, ...): the plain object is
//     converted to the URL "[object Object]" and the signal set on it is
//     never passed to fetchLater(), so update() aborts nothing and every
//     update queues one more GET to https://a.test/[object%20Object].
// The scenario asserts each of these.

class PendingBeacon {
  #abortController = null;
  #requestInfo = null;
  #activateAfter = null;
  #result = null;

  constructor(requestInfo, activateAfter) {
    this.#requestInfo = requestInfo;
    this.#activateAfter = activateAfter;
    this.#schedule();
  }

  // Schedules a deferred request to send on page destroyed or after page in bfcached + `this.#activateAfter` time.
  #schedule() {
    if (this.#result && this.#result.activated) {
      this.#abortController = null;
    }
    if (this.#abortController) {
      // Cancel previous pending request.
      this.#abortController.abort();
    }

    this.#abortController = new AbortController();
    this.#requestInfo.signal = this.#abortController.signal;
    this.#result = fetchLater(this.#requestInfo, {activateAfter: this.#activateAfter});
  }

  // Aborts the deferred request and schedules a new one.
  update(requestInfo) {
    this.#requestInfo = requestInfo;
    this.#schedule();
  }

  // sendNow(): User should directly call `fetch(requestInfo)` instead.
}
