// Seed: fetch-later-explainer.md, "Defer a POST request for around 1 minute",
// run verbatim except for these typo fixes:
//   - added the missing comma after `url: '/send_beacon'`;
//   - added the missing comma after `method: 'POST'`.
// `getBeaconData()` is the seed's placeholder; the scenario defines it in the
// step before this one.
//
// What really happens: the first argument is a plain object, not a Request,
// so WebIDL converts it to the string "[object Object]" (RequestInfo is
// (Request or USVString)). The call queues a GET (no method, no body: those
// were in the object) to https://a.test/[object%20Object] with activateAfter
// 60000, sent after 60 s. The scenario asserts exactly that.

fetchLater({
  url: '/send_beacon',
  method: 'POST',
  body: getBeaconData(),
}, {activateAfter: 60000 /* 1 minute */});
