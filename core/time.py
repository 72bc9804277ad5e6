"""The one time zone users read and write: Western Indonesian Time (WIB, Asia/Jakarta).

The database stores UTC; pages, files, reports and the Open API show and parse WIB, whatever
``TIME_ZONE`` a deployment sets.
"""

from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
