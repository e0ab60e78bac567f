// Seed: fetch-later-explainer.md, "Update a pending request", run verbatim
// except for one typo fix:
//   - added the missing comma after `url: data` in the object passed to
//     fetchLater().
//
// What really happens: fetchLater() gets a plain object as its RequestInfo,
// which WebIDL converts to the string "[object Object]"; the `signal` in that
// object is never seen. So every updateBeacon() queues another GET to
// https://a.test/[object%20Object], and beaconAbort.abort() aborts a signal no
// request uses: all of them are sent when the page unloads. The scenario
// asserts exactly that. (What the seed means is
// fetchLater(data, {signal: beaconAbort.signal}).)

let beaconResult = null;
let beaconAbort = null;

function updateBeacon(data) {
  const pending = !beaconResult || !beaconResult.activated;
  if (pending && beaconAbort) {
    beaconAbort.abort();
  }

  createBeacon(data);
}

function createBeacon(data) {
  if (beaconResult && beaconResult.activated) {
    // Avoid creating duplicated beacon if the previous one is still pending.
    return;
  }

  beaconAbort = new AbortController();
  beaconResult = fetchLater({
    url: data,
    signal: beaconAbort.signal
  });
}
