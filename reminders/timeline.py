"""A bill event's reason in the reader's language.

Services store reasons as English sentences, like the audit log, so the table reads the
same to everyone who queries it. A page shows them through the catalogue: the sentences the
system writes are recognised here (whole, or by their pattern with the details taken out);
a reason a person typed, such as a cancellation's, is shown as typed.
"""

import re

from django.utils.translation import gettext, gettext_noop, ngettext_lazy

# Written as they are by notifications.services and reminders.services.
FIXED = frozenset({
    gettext_noop("The payer's phone has Livin'"),
    gettext_noop("The payer's phone has no Livin' app"),
    gettext_noop("Pushed to Livin' and shown"),
    gettext_noop("The payer's phone no longer has Livin'"),
    gettext_noop("The display window ended"),
    gettext_noop("Not delivered before its end"),
    gettext_noop("Ended before the Livin' directory check"),
    gettext_noop("Ended while waiting for approval"),
    gettext_noop("Cancelled"),
})

# The bill sources as reasons name them (BillSource labels, in English).
SOURCES = {
    "Open API": gettext_noop("Open API"),
    "Single entry": gettext_noop("Single entry"),
    "File upload": gettext_noop("File upload"),
}

# (pattern of the stored English, its message with the pattern's groups as parameters)
PATTERNS = (
    (re.compile(r"Received through (?P<source>Open API|Single entry|File upload) \(upload #(?P<id>\d+)\)"),
     gettext_noop("Received through %(source)s (upload #%(id)s)")),
    (re.compile(r"Received through (?P<source>Open API|Single entry|File upload)"),
     gettext_noop("Received through %(source)s")),
    (re.compile(r"Upload #(?P<id>\d+) approved"), gettext_noop("Upload #%(id)s approved")),
    (re.compile(r"Upload #(?P<id>\d+) rejected: (?P<reason>.+)", re.S),
     gettext_noop("Upload #%(id)s rejected: %(reason)s")),
    (re.compile(r"Upload #(?P<id>\d+) rejected"), gettext_noop("Upload #%(id)s rejected")),
    (re.compile(r"Upload #(?P<id>\d+) withdrawn by the maker"), gettext_noop("Upload #%(id)s withdrawn by the maker")),
    (re.compile(r"Paid through (?P<channel>\S+), payment (?P<payment>\S+)"),
     gettext_noop("Paid through %(channel)s, payment %(payment)s")),
    # A count: the form is chosen by the number in "n" when the message is filled in.
    (re.compile(r"Not delivered before its end after (?P<n>\d+) attempts?: (?P<error>.*)", re.S),
     ngettext_lazy("Not delivered before its end after %(n)s attempt: %(error)s",
                   "Not delivered before its end after %(n)s attempts: %(error)s", "n")),
    (re.compile(r"Livin' refused the push: (?P<error>.*)", re.S), gettext_noop("Livin' refused the push: %(error)s")),
    (re.compile(r"Bill Reminder stopped for biller code (?P<code>\S+)"),
     gettext_noop("Bill Reminder stopped for biller code %(code)s")),
    (re.compile(r"Found in Livin' on look-up (?P<check>\d+) of (?P<checks>\d+) after the first"),
     gettext_noop("Found in Livin' on look-up %(check)s of %(checks)s after the first")),
    (re.compile(r"Not in Livin' on look-up (?P<check>\d+) of (?P<checks>\d+) after the first"),
     gettext_noop("Not in Livin' on look-up %(check)s of %(checks)s after the first")),
    (re.compile(r"Found in Livin', but biller code (?P<code>\S+) has no quota left: looked up again later"),
     gettext_noop("Found in Livin', but biller code %(code)s has no quota left: looked up again later")),
    (re.compile(r"Bill key (?P<key>\S+) has another active or newer reminder: not looked up again"),
     gettext_noop("Bill key %(key)s has another active or newer reminder: not looked up again")),
)


def reason_text(reason: str) -> str:
    """``reason`` as stored, in the active language when the system wrote it."""
    if not reason:
        return ""
    if reason in FIXED:
        return gettext(reason)
    for pattern, message in PATTERNS:
        found = pattern.fullmatch(reason)
        if found:
            params = found.groupdict()
            if "source" in params:
                params["source"] = gettext(SOURCES[params["source"]])
            if "n" in params:
                params["n"] = int(params["n"])
            return (gettext(message) if isinstance(message, str) else message) % params
    return reason


# Who moved a bill when no person did, as the services label it.
ACTORS = {
    "system": gettext_noop("system"),
    "scheduler": gettext_noop("scheduler"),
    "service stop": gettext_noop("service stop"),
    "Open API": gettext_noop("Open API"),
}


def actor_text(label: str) -> str:
    """Who moved the bill: a person's name as stored; the system's parts in the reader's language."""
    return gettext(ACTORS[label]) if label in ACTORS else label
