// Expand an .ics file with ical.js (the parser behind Thunderbird) and print
// every occurrence as JSON: [{"uid", "start", "end"}] with UTC ISO instants.
//
// It is the second, independent reader of peermatch's calendars: it knows no
// time zone of its own, so it resolves every TZID through the VTIMEZONEs in the
// file, which is exactly what a client that lacks the IANA database does.
//
// usage: node tests/js/expand.mjs FILE.ics
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const MAX_OCCURRENCES = 1000;

function fail(message) {
  process.stderr.write(`expand.mjs: ${message}\n`);
  process.exit(2);
}

function utc(time, what) {
  // A time without a resolvable zone would be read in the machine's local zone
  // (floating); refuse instead of guessing.
  const zone = time.zone;
  const known =
    zone === ICAL.Timezone.utcTimezone ||
    (zone && zone.tzid && zone !== ICAL.Timezone.localTimezone && ICAL.TimezoneService.has(zone.tzid));
  if (!known) fail(`${what} ${time.toString()} has no resolvable time zone (floating or unknown TZID)`);
  return time.toJSDate().toISOString();
}

const path = process.argv[2];
if (!path) fail("usage: node expand.mjs FILE.ics");
const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));

for (const vtz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtz);
}

// Group VEVENTs by UID: the one without RECURRENCE-ID is the master, the rest overrides.
const byUid = new Map();
for (const comp of root.getAllSubcomponents("vevent")) {
  const uid = comp.getFirstPropertyValue("uid");
  if (!byUid.has(uid)) byUid.set(uid, { master: null, exceptions: [] });
  const entry = byUid.get(uid);
  if (comp.hasProperty("recurrence-id")) entry.exceptions.push(comp);
  else if (entry.master) fail(`two master VEVENTs share UID ${uid}`);
  else entry.master = comp;
}

const out = [];
for (const [uid, { master, exceptions }] of byUid) {
  if (!master) fail(`UID ${uid} has overrides but no master VEVENT`);
  const event = new ICAL.Event(master);
  for (const exc of exceptions) event.relateException(new ICAL.Event(exc));
  if (!event.isRecurring()) {
    if (exceptions.length) fail(`UID ${uid} is not recurring but has overrides`);
    out.push({ uid, start: utc(event.startDate, "DTSTART"), end: utc(event.endDate, "DTEND") });
    continue;
  }
  const it = event.iterator();
  let next;
  let n = 0;
  while ((next = it.next())) {
    if (++n > MAX_OCCURRENCES) fail(`UID ${uid} recurs more than ${MAX_OCCURRENCES} times`);
    const occ = event.getOccurrenceDetails(next);
    out.push({ uid, start: utc(occ.startDate, "start"), end: utc(occ.endDate, "end") });
  }
}

out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
process.stdout.write(JSON.stringify(out) + "\n");
