"""Files of a request are cut off at ``UPLOAD_MAX_BYTES`` while they stream in, not after.

Django's own handlers write a whole upload to memory or a temporary file before any view
can look at its size: a 1 GiB request filled the disk with 1 GiB to be refused for being
over 100 MB. This handler runs first, sees every chunk before the others do, and stops
the upload (``StopUpload``) as soon as the request's declared length or its received bytes
pass the limit: at most one chunk (64 kB) more than the limit ever reaches the next
handler. The rest of the request is read and discarded, so the browser gets the page that
says why. The request is marked (``upload_over_limit``: the bytes declared or received)
for the view to say so; the reverse proxy should refuse such bodies before they arrive.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD = 1024 * 1024


class SizeLimitedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803 (Django's)
        self.limit = settings.UPLOAD_MAX_BYTES
        self.declared = content_length
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.declared and self.declared > self.limit + FORM_OVERHEAD:
            self._stop(self.declared)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._stop(self.received)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file

    def _stop(self, size: int):
        self.request.upload_over_limit = size
        raise StopUpload(connection_reset=False)
