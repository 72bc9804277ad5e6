"""The embedded default's Celery transport: kombu's filesystem transport, each message written atomically.

kombu writes a message file in place under its final name, so a worker polling the folder
can pick the file up half written and fail to decode it. Here a message is written under a
name the readers skip (it does not end in ``.<queue>.msg``), then renamed into place: on
one filesystem a rename is atomic, so a reader sees the whole message or none of it.

The transport also declares itself evented and polls the folder from the worker's event
loop, so the worker runs the same pool on the embedded default as on Redis (see the class).
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
    # Evented, so the worker runs Celery's asynchronous prefork pool (one pipe per child)
    # as it does on Redis, not the blocking pool whose children share one locked pipe: a
    # child killed while it waited on that pipe (as the out-of-memory killer does) kept
    # its lock for ever, and no child took a task again.
    implements = filesystem.Transport.implements.extend(asynchronous=True)

    def register_with_event_loop(self, connection, loop):
        """Polls the queue folder from the worker's event loop, as the blocking loop did."""
        loop.call_repeatedly(self.polling_interval, self._deliver_waiting, connection)

    def _deliver_waiting(self, connection):
        # Every message waiting now, as far as prefetch allows (the channel refuses more).
        for _ in range(1000):
            try:
                self.drain_events(connection, timeout=0)
            except TimeoutError:
                return
