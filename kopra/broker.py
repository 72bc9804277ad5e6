"""The embedded default's Celery transport: kombu's filesystem transport, each message written atomically.

kombu writes a message file in place under its final name, so a worker polling the folder
can pick the file up half written and fail to decode it. Here a message is written under a
name the readers skip (it does not end in ``.<queue>.msg``), then renamed into place: on
one filesystem a rename is atomic, so a reader sees the whole message or none of it.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class AtomicFilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Puts ``payload`` on ``queue``: written aside, then renamed to kombu's name for it."""
        # The same name as kombu's (millisecond clock first: readers take the files in name order).
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as stream:
                stream.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            try:
                os.remove(partial)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = AtomicFilesystemChannel
