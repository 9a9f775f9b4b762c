"""Reads an iCalendar feed on stdin with the Python icalendar library and prints its events as
JSON, so that a test can compare them with what it expects: a second reader, independent of the
Rust crate that wrote the feed. Fails on anything the library cannot parse or a VEVENT without the
properties RFC 5545 requires of a published event."""

import json
import sys

import icalendar

calendar = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = []
for event in calendar.walk("VEVENT"):
    for required in ("UID", "DTSTAMP", "DTSTART"):
        if required not in event:
            sys.exit(f"a VEVENT without {required}: {event.get('SUMMARY')}")
    if event.errors:
        sys.exit(f"unreadable properties in {event.get('SUMMARY')}: {event.errors}")
    events.append(
        {
            "uid": str(event["UID"]),
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART").isoformat(),
            "end": event.decoded("DTEND").isoformat(),
            "url": str(event["URL"]),
            "description": str(event["DESCRIPTION"]),
        }
    )
json.dump({"name": str(calendar.get("X-WR-CALNAME")), "events": events}, sys.stdout, ensure_ascii=False)
