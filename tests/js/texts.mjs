// Print the texts and people of an .ics file as ical.js (the parser behind
// Thunderbird) reads them: JSON {"calname", "events": [{"summary",
// "description", "organizer", "attendees": [{"value", "cn"}], "properties"}]}.
//
// The second, independent reader for peermatch's escaping tests: the names,
// topics and program name must come back exactly, and no hostile text may
// have turned into a property of its own.
//
// usage: node tests/js/texts.mjs FILE.ics
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const path = process.argv[2];
if (!path) {
  process.stderr.write("usage: node texts.mjs FILE.ics\n");
  process.exit(2);
}
const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));

function person(prop) {
  return { value: prop.getFirstValue(), cn: prop.getParameter("cn") ?? null };
}

const events = root.getAllSubcomponents("vevent").map((event) => ({
  summary: event.getFirstPropertyValue("summary"),
  description: event.getFirstPropertyValue("description"),
  organizer: person(event.getFirstProperty("organizer")),
  attendees: event.getAllProperties("attendee").map(person),
  properties: [...new Set(event.getAllProperties().map((p) => p.name))].sort(),
}));
const calname = root.getFirstProperty("x-wr-calname");
process.stdout.write(
  JSON.stringify({ calname: calname ? calname.getFirstValue() : null, events }) + "\n",
);
