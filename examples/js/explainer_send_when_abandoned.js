// Seed: fetch-later-explainer.md, "Send a request when page is abondoned",
// run verbatim except for the seed's two `createBeacon(...)` placeholders,
// filled with the URL each listener beacons:
//   - pagehide:          createBeacon('/beacon?on=pagehide')
//   - visibilitychange:  createBeacon('/beacon?on=hidden')
// No typo fixes were needed.
//
// Note what `activated` means here: createBeacon() returns early only once
// the previous beacon has been *sent*; while it is still pending, a second
// event queues a second beacon (the seed's comment says the opposite).

let beaconResult = null;

function createBeacon(data) {
  if (beaconResult && beaconResult.activated) {
    // Avoid creating duplicated beacon if the previous one is still pending.
    return;
  }

  beaconResult = fetchLater(data, {activateAfter: 0});
}

addEventListener('pagehide', () => createBeacon('/beacon?on=pagehide'));
addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    // may be the last chance to beacon, though the user could come back later.
    createBeacon('/beacon?on=hidden');
  }
});
